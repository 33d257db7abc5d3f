// TensorFileTests.swift
// TensorFile: N-D float32 datasets round-trip with shapes, order and attributes; h5py sees
// them as arrays of the right shape; bad names and foreign files are refused with messages.

import Foundation
import Testing

@testable import ReproIO

@Suite struct TensorFileTests {
  static let tensors = [
    NamedTensor(
      name: "blocks[0].expand.weight", shape: [2, 1, 1, 3], values: [1, -2, 3.5, 0, 0.125, -0]),
    NamedTensor(name: "first_conv.bn.gamma", shape: [3], values: [.pi, 1, .infinity]),
    NamedTensor(name: "classifier.weight", shape: [2, 2], values: [0.25, -0.5, 0.75, -1]),
    NamedTensor(name: "scalar", shape: [], values: [42]),
  ]

  @Test func tensorsRoundTripWithShapesOrderAndAttributes() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    let path = folder.file("weights.h5")
    let attributes: [String: AttributeValue] = ["model": "mcunet-in3", "epochs": 3, "top1": 0.5]
    try TensorFile.write(Self.tensors, attributes: attributes, to: path)
    let (tensors, readAttributes) = try TensorFile.read(path)
    #expect(tensors.map(\.name) == Self.tensors.map(\.name))
    #expect(tensors.map(\.shape) == Self.tensors.map(\.shape))
    for (a, b) in zip(tensors, Self.tensors) {
      #expect(a.values.map(\.bitPattern) == b.values.map(\.bitPattern), "\(a.name)")
    }
    #expect(readAttributes == attributes)
    #expect(try folder.listing() == ["weights.h5"], "no temporary file is left behind")
  }

  @Test func badNamesAndForeignFilesAreRefused() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    let path = folder.file("weights.h5")
    let slash = [NamedTensor(name: "a/b", shape: [1], values: [0])]
    #expect(throws: ReproIOError.self) { try TensorFile.write(slash, to: path) }
    let twice = [Self.tensors[2], Self.tensors[2]]
    do {
      try TensorFile.write(twice, to: path)
      Issue.record("a repeated name must be refused")
    } catch {
      #expect("\(error)" == "invalid tensor name 'classifier.weight': two tensors have it.")
    }
    #expect(!FileManager.default.fileExists(atPath: path))
    try ResultsFile().write(to: path)
    #expect(
      throws: ReproIOError.notAResultsFile(path: path, reason: "missing attribute tensor_order")
    ) { try TensorFile.read(path) }
    #expect(throws: ReproIOError.fileNotFound(path: folder.file("none.h5"))) {
      try TensorFile.read(folder.file("none.h5"))
    }
  }

  @Test(.enabled(if: pythonHasH5py))
  func h5pyReadsTheTensorsAsArrays() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    let path = folder.file("weights.h5")
    try TensorFile.write(Self.tensors, attributes: ["model": "m"], to: path)
    let script = """
      import h5py, json, sys
      f = h5py.File(sys.argv[1], "r")
      w = f["blocks[0].expand.weight"]
      print(json.dumps({
        "shape": list(w.shape), "dtype": str(w.dtype), "w": [float(v) for v in w[()].ravel()],
        "order": [str(v) for v in f.attrs["tensor_order"]], "model": f.attrs["model"],
        "scalar": float(f["scalar"][()]),
      }))
      """
    let (status, stdout, stderr) = try run("/usr/bin/env", ["python3", "-c", script, path])
    try #require(status == 0, "python3 failed: \(stderr)")
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
    #expect(json["shape"] as? [Int] == [2, 1, 1, 3])
    #expect(json["dtype"] as? String == "float32")
    #expect(json["w"] as? [Double] == [1, -2, 3.5, 0, 0.125, 0])
    #expect(json["order"] as? [String] == Self.tensors.map(\.name))
    #expect(json["model"] as? String == "m" && json["scalar"] as? Double == 42)
  }
}
