// TensorFile.swift
// N-dimensional float32 datasets in an HDF5 file, one per named tensor (trained weights, for
// instance), readable by h5py without this project:
//
//   /                 attrs: the caller's attributes + tensor_order (1-D strings)
//   /<name>           float32 dataset with the tensor's shape (scalar for shape [])
//
// Names are stored as given (ModelIR node names such as `blocks[0].expand.weight` are valid
// HDF5 link names); a "/" would create groups, so it is refused. Writes are atomic like every
// ReproIO file.

import CHDF5

/// A named float32 tensor: row-major `values` of `shape`.
public struct NamedTensor: Equatable, Sendable {
  public var name: String
  public var shape: [Int]
  public var values: [Float]

  /// - Precondition: `values.count` is the product of `shape`.
  public init(name: String, shape: [Int], values: [Float]) {
    precondition(
      values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
    self.name = name
    self.shape = shape
    self.values = values
  }
}

/// Reads and writes files of named float32 tensors (layout in the file comment).
public enum TensorFile {
  static let orderAttribute = "tensor_order"

  /// Writes `tensors` and the root `attributes` to `path` atomically.
  ///
  /// - Throws: `ReproIOError.invalidName` for an empty, repeated or "/"-containing name or the
  ///   reserved attribute `tensor_order`; `.hdf5` or `.cannotWriteFile` on I/O failure.
  public static func write(
    _ tensors: [NamedTensor], attributes: [String: AttributeValue] = [:], to path: String
  ) throws {
    var seen = Set<String>()
    for tensor in tensors {
      try Naming.check(tensor.name, kind: "tensor")
      guard seen.insert(tensor.name).inserted else {
        throw ReproIOError.invalidName(tensor.name, kind: "tensor", reason: "two tensors have it")
      }
    }
    guard attributes[orderAttribute] == nil else {
      throw ReproIOError.invalidName(
        orderAttribute, kind: "root attribute", reason: "it is reserved for the tensor order")
    }
    try AtomicFile.replace(path) { temporary in
      let session = H5Session(path: path)
      defer { session.closeAll() }
      let root = try session.createFile(at: temporary)
      try session.write(
        .strings(tensors.map(\.name)), scalar: false,
        to: .attribute(owner: root, name: orderAttribute), object: "/@" + orderAttribute)
      for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
        try writeAttribute(value, named: name, on: root, session)
      }
      for tensor in tensors { try writeDataset(tensor, in: root, session) }
      guard session.closeAll() else { throw session.failure("close", "/") }
    }
  }

  /// Reads a file written by `write`: the tensors in their stored order and the root
  /// attributes (without `tensor_order`).
  ///
  /// - Throws: `.fileNotFound`, `.notAResultsFile` (not HDF5 or no `tensor_order`),
  ///   `.unsupportedData` (a dataset that is not floating point), or `.hdf5`.
  public static func read(_ path: String) throws -> (
    tensors: [NamedTensor], attributes: [String: AttributeValue]
  ) {
    guard FileSystem.exists(path) else { throw ReproIOError.fileNotFound(path: path) }
    let session = H5Session(path: path)
    defer { session.closeAll() }
    guard let root = session.openFile() else {
      throw ReproIOError.notAResultsFile(path: path, reason: "not an HDF5 file")
    }
    guard session.hasAttribute(root, orderAttribute) else {
      throw ReproIOError.notAResultsFile(path: path, reason: "missing attribute tensor_order")
    }
    var attributes: [String: AttributeValue] = [:]
    var order: [String] = []
    for name in try session.attributeNames(root, object: "/") {
      let read = try session.read(.attribute(owner: root, name: name), object: "/@" + name)
      if name == orderAttribute {
        if case .strings(let names) = read.values { order = names }
        continue
      }
      attributes[name] = attributeValue(read.values, scalar: read.scalar)
    }
    let tensors = try order.map { try readDataset($0, in: root, session) }
    guard session.closeAll() else { throw session.failure("close", "/") }
    return (tensors, attributes)
  }

  // MARK: - Helpers

  private static func writeAttribute(
    _ value: AttributeValue, named name: String, on owner: hid_t, _ session: H5Session
  ) throws {
    let (values, scalar) = value.storage
    try session.write(
      values, scalar: scalar, to: .attribute(owner: owner, name: name), object: "/@" + name)
  }

  private static func attributeValue(_ values: ColumnValues, scalar: Bool) -> AttributeValue {
    switch values {
    case .strings(let s): return .string(s.first ?? "")
    case .ints(let i): return scalar ? .int(i.first ?? 0) : .ints(i)
    case .doubles(let d): return scalar ? .double(d.first ?? 0) : .doubles(d)
    }
  }

  /// Creates the float32 dataset `/<name>` with the tensor's shape and writes its values.
  private static func writeDataset(_ tensor: NamedTensor, in root: hid_t, _ session: H5Session)
    throws
  {
    let object = "/" + tensor.name
    let dims = tensor.shape.map { hsize_t($0) }
    let space =
      dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil)
    guard space >= 0 else { throw session.failure("create the dataspace of", object) }
    defer { H5Sclose(space) }
    let dataset = H5Dcreate2(
      root, tensor.name, h5s_native_float(), space, h5s_p_default(), h5s_p_default(),
      h5s_p_default())
    guard dataset >= 0 else { throw session.failure("create dataset", object) }
    defer { H5Dclose(dataset) }
    guard !tensor.values.isEmpty else { return }
    let status = tensor.values.withUnsafeBytes { buffer in
      H5Dwrite(
        dataset, h5s_native_float(), h5s_s_all(), h5s_s_all(), h5s_p_default(),
        buffer.baseAddress)
    }
    guard status >= 0 else { throw session.failure("write", object) }
  }

  /// Reads dataset `/<name>` as float32 with its shape.
  private static func readDataset(_ name: String, in root: hid_t, _ session: H5Session) throws
    -> NamedTensor
  {
    let object = "/" + name
    let dataset = H5Dopen2(root, name, h5s_p_default())
    guard dataset >= 0 else { throw session.failure("open dataset", object) }
    defer { H5Dclose(dataset) }
    let type = H5Dget_type(dataset)
    guard type >= 0 else { throw session.failure("read the type of", object) }
    defer { H5Tclose(type) }
    guard H5Tget_class(type) == H5T_FLOAT else {
      throw ReproIOError.unsupportedData(
        path: session.path, object: object, detail: "is not a floating-point tensor")
    }
    let space = H5Dget_space(dataset)
    guard space >= 0 else { throw session.failure("read the shape of", object) }
    defer { H5Sclose(space) }
    let rank = Int(H5Sget_simple_extent_ndims(space))
    guard rank >= 0 else { throw session.failure("read the shape of", object) }
    var dims = [hsize_t](repeating: 0, count: rank)
    if rank > 0, H5Sget_simple_extent_dims(space, &dims, nil) < 0 {
      throw session.failure("read the shape of", object)
    }
    let shape = dims.map { Int($0) }
    var values = [Float](repeating: 0, count: shape.reduce(1, *))
    if !values.isEmpty {
      let status = values.withUnsafeMutableBytes { buffer in
        H5Dread(
          dataset, h5s_native_float(), h5s_s_all(), h5s_s_all(), h5s_p_default(),
          buffer.baseAddress)
      }
      guard status >= 0 else { throw session.failure("read", object) }
    }
    return NamedTensor(name: name, shape: shape, values: values)
  }
}
