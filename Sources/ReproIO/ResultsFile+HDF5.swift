// ResultsFile+HDF5.swift
// Reads and writes the results file layout of DESIGN.md §4 so that h5py and pandas read it
// without this project:
//
//   /                        attrs: schema_version (int64) + the provenance attributes
//   /table                   attr column_order (1-D strings): HDF5 lists names alphabetically
//   /table/<column>          1-D dataset (UTF-8 strings | int64 | float64); attrs unit, description
//   /curves                  attr curve_order
//   /curves/<name>/          x, y, optional y_min, y_max (float64); attrs of the curve
//   /models                  attr model_order
//   /models/<id>/            attrs of the model; each sub-table is a group laid out like /table

import CHDF5

extension ResultsFile {
  /// Reads the results file at `path`.
  ///
  /// - Throws: `ReproIOError.fileNotFound`, `.notAResultsFile` (not HDF5, no `schema_version`,
  ///   no `/table`), `.unsupportedSchemaVersion`, `.unsupportedData`, or `.hdf5`.
  public init(contentsOf path: String) throws {
    self = try HDF5Layout.read(path)
  }

  /// Writes this file to `path` atomically.
  ///
  /// The file is written into a temporary file in the same folder and renamed over `path` only
  /// once complete. On error no file is left behind and an existing `path`
  /// is untouched.
  public func write(to path: String) throws {
    try AtomicFile.replace(path) { temporary in
      try HDF5Layout.write(self, to: temporary, reportedAs: path)
    }
  }
}

/// The DESIGN.md §4 layout on top of `H5Session`.
enum HDF5Layout {
  static let schemaVersionAttribute = "schema_version"

  // MARK: - Writing

  static func write(_ file: ResultsFile, to temporary: String, reportedAs path: String) throws {
    guard file.attributes[schemaVersionAttribute] == nil else {
      throw ReproIOError.invalidName(
        schemaVersionAttribute, kind: "root attribute",
        reason: "it is reserved; set ResultsFile.schemaVersion instead")
    }
    let session = H5Session(path: path)
    defer { session.closeAll() }
    let root = try session.createFile(at: temporary)
    try writeAttributes(
      file.attributes.merging([schemaVersionAttribute: .int(file.schemaVersion)]) { a, _ in a },
      on: root, object: "/", session)
    try writeTable(file.table, in: root, named: "table", object: "/table", session)

    let curves = try createOrderedGroup(
      root, "curves", order: file.curves.map(\.name), kind: "curve", session)
    for curve in file.curves {
      try curve.validate()
      let object = "/curves/" + curve.name
      let group = try session.createGroup(curves, curve.name, object: object)
      let arrays = [("x", curve.x), ("y", curve.y), ("y_min", curve.yMin), ("y_max", curve.yMax)]
      for case let (name, values?) in arrays {
        try session.write(
          .doubles(values), scalar: false, to: .dataset(parent: group, name: name),
          object: object + "/" + name)
      }
      try writeAttributes(curve.attributes, on: group, object: object, session)
    }

    let models = try createOrderedGroup(
      root, "models", order: file.models.map(\.id), kind: "model", session)
    for model in file.models {
      let object = "/models/" + model.id
      let group = try session.createGroup(models, model.id, object: object)
      try writeAttributes(model.attributes, on: group, object: object, session)
      for (name, table) in model.tables.sorted(by: { $0.key < $1.key }) {
        try Naming.check(name, kind: "model table")
        try writeTable(table, in: group, named: name, object: object + "/" + name, session)
      }
    }
    guard session.closeAll() else { throw session.failure("close", "/") }
  }

  /// Creates group `name` whose attribute `<kind>_order` lists the member names in `order`.
  private static func createOrderedGroup(
    _ parent: hid_t, _ name: String, order: [String], kind: String, _ session: H5Session
  ) throws -> hid_t {
    var seen = Set<String>()
    for member in order {
      try Naming.check(member, kind: kind)
      guard seen.insert(member).inserted else {
        throw ReproIOError.invalidName(member, kind: kind, reason: "two \(kind)s have this name")
      }
    }
    let group = try session.createGroup(parent, name, object: "/" + name)
    let attribute = kind + "_order"
    try session.write(
      .strings(order), scalar: false, to: .attribute(owner: group, name: attribute),
      object: "/\(name)@\(attribute)")
    return group
  }

  private static func writeTable(
    _ table: ResultTable, in parent: hid_t, named name: String, object: String,
    _ session: H5Session
  ) throws {
    try table.validate()
    let group = try session.createGroup(parent, name, object: object)
    try session.write(
      .strings(table.columnNames), scalar: false,
      to: .attribute(owner: group, name: "column_order"),
      object: object + "@column_order")
    for column in table.columns {
      let path = object + "/" + column.name
      let dataset = try session.write(
        column.values, scalar: false, to: .dataset(parent: group, name: column.name), object: path)
      try writeAttributes(
        ["unit": .string(column.unit), "description": .string(column.description)],
        on: dataset, object: path, session)
    }
  }

  private static func writeAttributes(
    _ attributes: [String: AttributeValue], on owner: hid_t, object: String, _ session: H5Session
  ) throws {
    for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
      guard !name.isEmpty else {
        throw ReproIOError.invalidName(name, kind: "attribute", reason: "names must not be empty")
      }
      let (values, scalar) = value.storage
      try session.write(
        values, scalar: scalar, to: .attribute(owner: owner, name: name),
        object: "\(object)@\(name)")
    }
  }

  // MARK: - Reading

  static func read(_ path: String) throws -> ResultsFile {
    guard FileSystem.exists(path) else { throw ReproIOError.fileNotFound(path: path) }
    let session = H5Session(path: path)
    defer { session.closeAll() }
    guard let root = session.openFile() else {
      let reason = FileSystem.isDirectory(path) ? "it is a folder" : "not an HDF5 file"
      throw ReproIOError.notAResultsFile(path: path, reason: reason)
    }
    guard session.hasAttribute(root, schemaVersionAttribute) else {
      throw ReproIOError.notAResultsFile(path: path, reason: "missing attribute schema_version")
    }
    var attributes = try readAttributes(on: root, object: "/", session)
    guard case .int(let version)? = attributes.removeValue(forKey: schemaVersionAttribute) else {
      throw ReproIOError.notAResultsFile(
        path: path, reason: "attribute schema_version is not an integer")
    }
    guard version <= ResultsFile.currentSchemaVersion else {
      throw ReproIOError.unsupportedSchemaVersion(
        path: path, found: version, supported: ResultsFile.currentSchemaVersion)
    }
    guard session.hasLink(root, "table") else {
      throw ReproIOError.notAResultsFile(path: path, reason: "missing group /table")
    }
    var file = ResultsFile(
      attributes: attributes,
      table: try readTable(in: root, named: "table", object: "/table", session))
    file.schemaVersion = version
    file.curves = try readCurves(root, session)
    file.models = try readModels(root, session)
    return file
  }

  private static func readCurves(_ root: hid_t, _ session: H5Session) throws -> [Curve] {
    guard session.hasLink(root, "curves") else { return [] }
    let group = try session.openGroup(root, "curves", object: "/curves")
    return try orderedNames(group, "curve_order", object: "/curves", session).map { name in
      let object = "/curves/" + name
      let curveGroup = try session.openGroup(group, name, object: object)
      func array(_ key: String) throws -> [Double]? {
        guard session.hasLink(curveGroup, key) else { return nil }
        let slot = H5Slot.dataset(parent: curveGroup, name: key)
        let read = try session.read(slot, object: object + "/" + key)
        switch read.values {
        case .doubles(let values): return values
        case .ints(let values): return values.map(Double.init)
        case .strings:
          throw ReproIOError.unsupportedData(
            path: session.path, object: object + "/" + key, detail: "holds strings, not numbers")
        }
      }
      guard let x = try array("x"), let y = try array("y") else {
        throw ReproIOError.unsupportedData(
          path: session.path, object: object, detail: "lacks the x or y dataset")
      }
      let curve = Curve(
        name: name, x: x, y: y, yMin: try array("y_min"), yMax: try array("y_max"),
        attributes: try readAttributes(on: curveGroup, object: object, session))
      try curve.validate()
      return curve
    }
  }

  private static func readModels(_ root: hid_t, _ session: H5Session) throws -> [ModelRecord] {
    guard session.hasLink(root, "models") else { return [] }
    let group = try session.openGroup(root, "models", object: "/models")
    return try orderedNames(group, "model_order", object: "/models", session).map { id in
      let object = "/models/" + id
      let modelGroup = try session.openGroup(group, id, object: object)
      var tables: [String: ResultTable] = [:]
      for name in try session.linkNames(modelGroup, object: object) {
        tables[name] = try readTable(
          in: modelGroup, named: name, object: object + "/" + name, session)
      }
      let attributes = try readAttributes(on: modelGroup, object: object, session)
      return ModelRecord(id: id, attributes: attributes, tables: tables)
    }
  }

  private static func readTable(
    in parent: hid_t, named name: String, object: String, _ session: H5Session
  ) throws -> ResultTable {
    let group = try session.openGroup(parent, name, object: object)
    let columns = try orderedNames(group, "column_order", object: object, session).map { name in
      let path = object + "/" + name
      let read = try session.read(.dataset(parent: group, name: name), object: path)
      guard !read.scalar else {
        throw ReproIOError.unsupportedData(
          path: session.path, object: path, detail: "is a scalar, not a 1-D column")
      }
      let attributes = try readAttributes(on: read.id, object: path, session)
      return Column(
        name, read.values, unit: attributes["unit"]?.string ?? "",
        description: attributes["description"]?.string ?? "")
    }
    let table = ResultTable(columns: columns)
    do {
      try table.validate()
    } catch {
      throw ReproIOError.unsupportedData(path: session.path, object: object, detail: "\(error)")
    }
    return table
  }

  /// The links of `group` in the order its attribute `orderAttribute` gives (links it does not
  /// list follow alphabetically; files written by other tools may lack the attribute).
  private static func orderedNames(
    _ group: hid_t, _ orderAttribute: String, object: String, _ session: H5Session
  ) throws -> [String] {
    let names = try session.linkNames(group, object: object)
    guard session.hasAttribute(group, orderAttribute) else { return names }
    let attributeObject = "\(object)@\(orderAttribute)"
    let read = try session.read(
      .attribute(owner: group, name: orderAttribute), object: attributeObject)
    guard case .strings(let listed) = read.values else {
      throw ReproIOError.unsupportedData(
        path: session.path, object: attributeObject, detail: "is not a list of names")
    }
    let present = Set(names)
    if let missing = listed.first(where: { !present.contains($0) }) {
      throw ReproIOError.unsupportedData(
        path: session.path, object: attributeObject, detail: "lists '\(missing)', which is absent")
    }
    let listedSet = Set(listed)
    return listed + names.filter { !listedSet.contains($0) }
  }

  private static func readAttributes(on owner: hid_t, object: String, _ session: H5Session) throws
    -> [String: AttributeValue]
  {
    var attributes: [String: AttributeValue] = [:]
    for name in try session.attributeNames(owner, object: object) {
      let path = "\(object)@\(name)"
      let read = try session.read(.attribute(owner: owner, name: name), object: path)
      switch (read.values, read.scalar) {
      case (.strings(let v), true): attributes[name] = .string(v.first ?? "")
      case (.ints(let v), true): attributes[name] = .int(v.first ?? 0)
      case (.doubles(let v), true): attributes[name] = .double(v.first ?? 0)
      case (.ints(let v), false): attributes[name] = .ints(v)
      case (.doubles(let v), false): attributes[name] = .doubles(v)
      case (.strings, false):
        throw ReproIOError.unsupportedData(
          path: session.path, object: path, detail: "is an array of strings")
      }
    }
    return attributes
  }
}
