// H5Session.swift
// A thin wrapper around libhdf5 handles for one read or write: every hid_t it opens is tracked
// and closed (newest first) by `closeAll()`, which callers run in a `defer`. It also reads and
// writes the only shapes ReproIO stores: scalar or 1-D int64, float64 and variable-length UTF-8.
//
// Debian's libhdf5 is thread-safe, so each thread has its own error stack. A failure left on a
// test thread's stack makes the library print "infinite loop closing library" at exit
// (native-deps.md §1), so every failure path calls H5Eclear2 and automatic printing is off.

import CHDF5

/// Where a value array lives: a dataset in a group, or an attribute of an object.
enum H5Slot {
  case dataset(parent: hid_t, name: String)
  case attribute(owner: hid_t, name: String)
}

/// The handles opened while reading or writing one file.
///
/// Errors name `path`, the user's file. Used by one thread for one call; not Sendable.
final class H5Session {
  private enum Kind { case file, group, dataset, dataspace, datatype, attribute, propertyList }

  /// The file the user asked for (errors name it, even while a temporary file is written).
  let path: String
  private var handles: [(id: hid_t, kind: Kind)] = []
  private var cachedStringType: hid_t?
  private var cachedLinkCreation: hid_t?

  /// A session reporting errors against `path`; silences libhdf5's printing on this thread.
  init(path: String) {
    self.path = path
    H5Eset_auto2(h5s_e_default(), nil, nil)
  }

  /// Closes every tracked handle, newest first; false if a close failed.
  @discardableResult
  func closeAll() -> Bool {
    var ok = true
    while let (id, kind) = handles.popLast() {
      let status: herr_t
      switch kind {
      case .file: status = H5Fclose(id)
      case .group: status = H5Gclose(id)
      case .dataset: status = H5Dclose(id)
      case .dataspace: status = H5Sclose(id)
      case .datatype: status = H5Tclose(id)
      case .attribute: status = H5Aclose(id)
      case .propertyList: status = H5Pclose(id)
      }
      ok = ok && status >= 0
    }
    if !ok { H5Eclear2(h5s_e_default()) }
    cachedStringType = nil
    cachedLinkCreation = nil
    return ok
  }

  /// Number of records on this thread's HDF5 error stack (0 after every ReproIO call).
  static var pendingErrorRecords: Int { Int(H5Eget_num(h5s_e_default())) }

  /// The error for a failed call, after clearing this thread's HDF5 error stack.
  func failure(_ operation: String, _ object: String) -> ReproIOError {
    H5Eclear2(h5s_e_default())
    return .hdf5(operation: operation, object: object, path: path)
  }

  private func track(_ id: hid_t, _ kind: Kind, _ operation: String, _ object: String) throws
    -> hid_t
  {
    guard id >= 0 else { throw failure(operation, object) }
    handles.append((id, kind))
    return id
  }

  private func check(_ status: herr_t, _ operation: String, _ object: String) throws {
    guard status >= 0 else { throw failure(operation, object) }
  }

  // MARK: - Files, groups, names

  /// Creates (truncating) the HDF5 file at `temporary`.
  func createFile(at temporary: String) throws -> hid_t {
    let id = H5Fcreate(temporary, h5s_f_acc_trunc(), h5s_p_default(), h5s_p_default())
    return try track(id, .file, "create file", "/")
  }

  /// Opens `path` read-only; nil if it is not an HDF5 file.
  func openFile() -> hid_t? {
    let id = H5Fopen(path, h5s_f_acc_rdonly(), h5s_p_default())
    guard id >= 0 else {
      H5Eclear2(h5s_e_default())
      return nil
    }
    handles.append((id, .file))
    return id
  }

  /// Creates group `name` in `parent`; `object` is its HDF5 path, for messages.
  func createGroup(_ parent: hid_t, _ name: String, object: String) throws -> hid_t {
    let id = H5Gcreate2(parent, name, try linkCreation(), h5s_p_default(), h5s_p_default())
    return try track(id, .group, "create group", object)
  }

  /// Opens group `name` in `parent`.
  func openGroup(_ parent: hid_t, _ name: String, object: String) throws -> hid_t {
    try track(H5Gopen2(parent, name, h5s_p_default()), .group, "open group", object)
  }

  /// Whether `parent` has a link called `name`.
  func hasLink(_ parent: hid_t, _ name: String) -> Bool {
    let found = H5Lexists(parent, name, h5s_p_default())
    if found < 0 { H5Eclear2(h5s_e_default()) }
    return found > 0
  }

  /// Whether `owner` has an attribute called `name`.
  func hasAttribute(_ owner: hid_t, _ name: String) -> Bool {
    let found = H5Aexists(owner, name)
    if found < 0 { H5Eclear2(h5s_e_default()) }
    return found > 0
  }

  /// Names of the links in `group`, in HDF5's (alphabetical) order.
  func linkNames(_ group: hid_t, object: String) throws -> [String] {
    var info = H5G_info_t()
    try check(H5Gget_info(group, &info), "list", object)
    return try (0..<info.nlinks).map { index in
      let length = H5Lget_name_by_idx(
        group, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, h5s_p_default())
      guard length >= 0 else { throw failure("list", object) }
      var name = [CChar](repeating: 0, count: Int(length) + 1)
      let status = H5Lget_name_by_idx(
        group, ".", H5_INDEX_NAME, H5_ITER_INC, index, &name, name.count, h5s_p_default())
      guard status >= 0 else { throw failure("list", object) }
      return String(decoding: name.prefix(Int(length)).map(UInt8.init(bitPattern:)), as: UTF8.self)
    }
  }

  /// Names of the attributes of `owner`, in HDF5's (alphabetical) order.
  func attributeNames(_ owner: hid_t, object: String) throws -> [String] {
    final class Names { var list: [String] = [] }
    let names = Names()
    let status = withExtendedLifetime(names) {
      H5Aiterate2(
        owner, H5_INDEX_NAME, H5_ITER_INC, nil,
        { _, name, _, context in
          guard let name, let context else { return -1 }
          Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().list.append(
            String(cString: name))
          return 0
        }, Unmanaged.passUnretained(names).toOpaque())
    }
    try check(status, "list the attributes of", object)
    return names.list
  }

  // MARK: - Values

  /// Writes `values` as a scalar (one value) or 1-D array to `slot`; returns the new object.
  @discardableResult
  func write(_ values: ColumnValues, scalar: Bool, to slot: H5Slot, object: String) throws
    -> hid_t
  {
    precondition(!scalar || values.count == 1, "a scalar holds exactly one value")
    let space = try track(
      scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, [hsize_t(values.count)], nil),
      .dataspace, "create the dataspace of", object)
    let type: hid_t
    switch values {
    case .strings: type = try stringType()
    case .ints: type = h5s_native_int64()
    case .doubles: type = h5s_native_double()
    }
    let id: hid_t
    switch slot {
    case .dataset(let parent, let name):
      id = try track(
        H5Dcreate2(parent, name, type, space, try linkCreation(), h5s_p_default(), h5s_p_default()),
        .dataset, "create dataset", object)
    case .attribute(let owner, let name):
      id = try track(
        H5Acreate2(owner, name, type, space, h5s_p_default(), h5s_p_default()), .attribute,
        "create attribute", object)
    }
    guard values.count > 0 else { return id }
    let status = Self.withBuffer(values) { buffer in
      switch slot {
      case .dataset: return H5Dwrite(id, type, h5s_s_all(), h5s_s_all(), h5s_p_default(), buffer)
      case .attribute: return H5Awrite(id, type, buffer)
      }
    }
    try check(status, "write", object)
    return id
  }

  /// Reads a scalar or 1-D array from `slot`; returns the values, whether the dataspace is
  /// scalar, and the opened object (to read its attributes).
  func read(_ slot: H5Slot, object: String) throws -> (
    values: ColumnValues, scalar: Bool, id: hid_t
  ) {
    let (id, type, space) = try open(slot, object: object)
    let (count, scalar) = try shape(of: space, object: object)
    let reader: (hid_t, UnsafeMutableRawPointer?) -> herr_t = { memoryType, buffer in
      switch slot {
      case .dataset:
        return H5Dread(id, memoryType, h5s_s_all(), h5s_s_all(), h5s_p_default(), buffer)
      case .attribute: return H5Aread(id, memoryType, buffer)
      }
    }
    let values: ColumnValues
    switch H5Tget_class(type) {
    case H5T_INTEGER:
      var array = [Int64](repeating: 0, count: count)
      if count > 0 {
        try check(
          array.withUnsafeMutableBytes { reader(h5s_native_int64(), $0.baseAddress) },
          "read", object)
      }
      values = .ints(array)
    case H5T_FLOAT:
      var array = [Double](repeating: 0, count: count)
      if count > 0 {
        try check(
          array.withUnsafeMutableBytes { reader(h5s_native_double(), $0.baseAddress) },
          "read", object)
      }
      values = .doubles(array)
    case H5T_STRING:
      values = .strings(try readStrings(type, count: count, object: object, reader))
    default:
      throw ReproIOError.unsupportedData(
        path: path, object: object, detail: "has an element type that is not a string or number")
    }
    return (values, scalar, id)
  }

  /// Opens the dataset or attribute at `slot` with its type and dataspace.
  private func open(_ slot: H5Slot, object: String) throws -> (hid_t, hid_t, hid_t) {
    switch slot {
    case .dataset(let parent, let name):
      let id = try track(H5Dopen2(parent, name, h5s_p_default()), .dataset, "open dataset", object)
      return (
        id, try track(H5Dget_type(id), .datatype, "read the type of", object),
        try track(H5Dget_space(id), .dataspace, "read the shape of", object)
      )
    case .attribute(let owner, let name):
      let id = try track(
        H5Aopen(owner, name, h5s_p_default()), .attribute, "open attribute", object)
      return (
        id, try track(H5Aget_type(id), .datatype, "read the type of", object),
        try track(H5Aget_space(id), .dataspace, "read the shape of", object)
      )
    }
  }

  /// Element count and scalar-ness of a dataspace; throws for rank above 1.
  private func shape(of space: hid_t, object: String) throws -> (Int, Bool) {
    let rank = H5Sget_simple_extent_ndims(space)
    guard rank == 0 || rank == 1 else {
      throw ReproIOError.unsupportedData(path: path, object: object, detail: "has rank \(rank)")
    }
    if H5Sget_simple_extent_type(space) == H5S_NULL { return (0, false) }
    guard rank == 1 else { return (1, true) }
    var dims: [hsize_t] = [0]
    try check(H5Sget_simple_extent_dims(space, &dims, nil), "read the shape of", object)
    return (Int(dims[0]), false)
  }

  private func readStrings(
    _ fileType: hid_t, count: Int, object: String,
    _ reader: (hid_t, UnsafeMutableRawPointer?) -> herr_t
  ) throws -> [String] {
    guard count > 0 else { return [] }
    if H5Tis_variable_str(fileType) > 0 {
      let memoryType = try stringType()
      var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
      let status = pointers.withUnsafeMutableBytes { reader(memoryType, $0.baseAddress) }
      defer { for case let pointer? in pointers { H5free_memory(pointer) } }
      try check(status, "read", object)
      return pointers.map { $0.map { String(cString: $0) } ?? "" }
    }
    // Fixed-length strings (h5py writes numpy bytes this way): read with the file's own type.
    let size = H5Tget_size(fileType)
    let memoryType = try track(H5Tcopy(fileType), .datatype, "copy the type of", object)
    var bytes = [UInt8](repeating: 0, count: size * count)
    try check(bytes.withUnsafeMutableBytes { reader(memoryType, $0.baseAddress) }, "read", object)
    return (0..<count).map { index in
      let field = bytes[index * size..<(index + 1) * size]
      return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }
  }

  // MARK: - Types and buffers

  /// Variable-length UTF-8 string type (h5py reads it as `str`).
  private func stringType() throws -> hid_t {
    if let cachedStringType { return cachedStringType }
    let type = try track(H5Tcopy(h5s_c_s1()), .datatype, "create the string type for", "/")
    try check(H5Tset_size(type, h5s_variable()), "create the string type for", "/")
    try check(H5Tset_cset(type, H5T_CSET_UTF8), "create the string type for", "/")
    cachedStringType = type
    return type
  }

  /// Link creation properties marking link names as UTF-8.
  private func linkCreation() throws -> hid_t {
    if let cachedLinkCreation { return cachedLinkCreation }
    let list = try track(
      H5Pcreate(h5s_p_link_create()), .propertyList, "create link properties for", "/")
    try check(H5Pset_char_encoding(list, H5T_CSET_UTF8), "create link properties for", "/")
    cachedLinkCreation = list
    return list
  }

  /// Calls `body` with a pointer to `values` in HDF5's memory layout; strings become an array
  /// of pointers to NUL-terminated UTF-8 (a string with an embedded NUL is cut there).
  private static func withBuffer<R>(_ values: ColumnValues, _ body: (UnsafeRawPointer?) -> R)
    -> R
  {
    switch values {
    case .ints(let array): return array.withUnsafeBytes { body($0.baseAddress) }
    case .doubles(let array): return array.withUnsafeBytes { body($0.baseAddress) }
    case .strings(let strings):
      var storage: [CChar] = []
      var offsets: [Int] = []
      for string in strings {
        offsets.append(storage.count)
        storage.append(contentsOf: string.utf8CString)
      }
      return storage.withUnsafeBufferPointer { base in
        let pointers = offsets.map { offset in base.baseAddress.map { $0 + offset } }
        return pointers.withUnsafeBytes { body($0.baseAddress) }
      }
    }
  }
}
