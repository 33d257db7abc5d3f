// ArrayFileTests.swift
// IDX (plain and gzip, compressed by the system's gzip through ProcessRunner) and .npy readers
// on fixtures written here, including their error messages.

import Foundation
import Runner
import Testing
import _TestSupport

@testable import Datasets

@Suite struct IDXTests {
  @Test func plainAndGzipIDXReadTheSameArray() throws {
    try withTemporaryDirectory { dir in
      let data = (0..<24).map { UInt8($0 * 10) }
      try writeFixture(idxBytes(dims: [2, 3, 4], data: data), to: dir + "/images-idx3-ubyte")
      let plain = try IDXReader.read(path: dir + "/images-idx3-ubyte")
      #expect(plain == IDXArray(dims: [2, 3, 4], bytes: data))
      _ = try ProcessRunner().run("gzip", ["-k", dir + "/images-idx3-ubyte"])
      #expect(try IDXReader.read(path: dir + "/images-idx3-ubyte.gz") == plain)
      try writeFixture(idxBytes(dims: [3], data: [7, 8, 9]), to: dir + "/labels")
      #expect(try IDXReader.read(path: dir + "/labels").bytes == [7, 8, 9])
    }
  }

  @Test func malformedIDXFilesAreExplained() throws {
    try withTemporaryDirectory { dir in
      try writeFixture(idxBytes(dims: [2, 2], data: [1, 2, 3]), to: dir + "/short")
      #expect(
        errorText { _ = try IDXReader.read(path: dir + "/short") }
          .contains("invalid IDX file \(dir)/short: header says [2, 2] = 4 bytes, the file holds 3")
      )
      try writeFixture([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], to: dir + "/float")
      #expect(
        errorText { _ = try IDXReader.read(path: dir + "/float") }
          .contains("element type 0xd, only 0x08"))
      try writeFixture([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3], to: dir + "/bad.gz")
      #expect(
        errorText { _ = try IDXReader.read(path: dir + "/bad.gz") }.contains("invalid IDX file"))
      #expect(
        errorText { _ = try IDXReader.read(path: dir + "/absent.gz") }
          .contains("apt-get install dataset-fashion-mnist"))
    }
  }
}

@Suite struct NPYTests {
  @Test func float64AndUInt8ArraysDecodeInCOrder() throws {
    let values: [Double] = [0, 0.25, -1.5, 1e-3, 7, 0.5]
    let f8 = try NPYReader.decode(
      npyBytes(descr: "<f8", shape: [3, 2], data: float64Bytes(values)), path: "a.npy")
    #expect(f8 == NPYArray(shape: [3, 2], dtype: "<f8", values: values))
    let u1 = try NPYReader.decode(
      npyBytes(descr: "|u1", shape: [4], data: [0, 1, 128, 255]), path: "b.npy")
    #expect(u1.shape == [4] && u1.values == [0, 1, 128, 255])
    try withTemporaryDirectory { dir in
      try writeFixture(
        npyBytes(descr: "<f8", shape: [1, 2, 3], data: float64Bytes(values)),
        to: dir + "/lfw.npy")
      #expect(try NPYReader.read(path: dir + "/lfw.npy").shape == [1, 2, 3])
    }
  }

  @Test func unsupportedNPYFilesAreExplained() {
    let fortran = npyBytes(descr: "<f8", shape: [1], data: float64Bytes([1]), fortran: true)
    #expect(
      errorText { _ = try NPYReader.decode(fortran, path: "f.npy") }
        .contains("invalid .npy file f.npy: Fortran order is not supported"))
    let bigEndian = npyBytes(descr: ">f8", shape: [1], data: float64Bytes([1]))
    #expect(
      errorText { _ = try NPYReader.decode(bigEndian, path: "b.npy") }
        .contains("dtype >f8 is not one of"))
    let short = npyBytes(descr: "<f8", shape: [2], data: float64Bytes([1]))
    #expect(
      errorText { _ = try NPYReader.decode(short, path: "s.npy") }
        .contains("shape [2] needs 16 data bytes, found 8"))
    #expect(
      errorText { _ = try NPYReader.decode(Array("PK\u{3}\u{4}zipzip".utf8), path: "z.npy") }
        .contains("no NUMPY magic"))
  }
}
