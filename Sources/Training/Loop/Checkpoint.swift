// Checkpoint.swift
// A binary snapshot of a training run from which `Trainer(model:resuming:)` continues exactly
// where the run stopped: same weights, momentum, running statistics, step counters and
// per-epoch sums, so the resumed run ends with the same bits as an uninterrupted one. There is
// no generator state to save: the batch order is a function of (source seed, epoch) and the
// dropout masks of (trainer seed, global step), both recorded here.
//
// Layout (all integers and floats little-endian), after llm.c's model/state files:
//
//   offset 0   magic "MCUNCKPT" (8 bytes)
//          8   format version, u32 (currently 1)
//         12   header length H in bytes, u32
//         16   header: UTF-8 JSON of `Checkpoint.Header` (configuration, state, tensor list)
//     16 + H   tensor data: float32 values of each header tensor, in header order
//   end − 8    FNV-1a 64 checksum of every preceding byte, u64
//
// Tensors: every parameter (`<node>.weight`, …), its momentum (`<name>#momentum`), and every
// running statistic (`<node>.bn.running_mean`, `<node>.bn.running_var`).

import Foundation
import ModelIR
import TensorModule

/// A snapshot of a `Trainer`.
public struct Checkpoint: Sendable, Equatable {
  /// First 8 bytes of every checkpoint.
  public static let magic: [UInt8] = Array("MCUNCKPT".utf8)
  /// The format version this build writes and reads.
  public static let formatVersion: UInt32 = 1
  /// Suffix of the momentum tensor of a parameter.
  public static let momentumSuffix = "#momentum"

  /// Name and shape of one stored tensor.
  public struct TensorEntry: Codable, Sendable, Equatable {
    public var name: String
    public var shape: [Int]
  }

  /// Everything but the tensor values.
  public struct Header: Codable, Sendable, Equatable {
    public var graphName: String
    /// FNV-1a of the graph's nodes (names, ops, inputs, shapes), hex.
    public var graphFingerprint: String
    public var model: GraphModel.Configuration
    public var configuration: TrainerConfiguration
    public var stepsPerEpoch: Int
    public var batchSize: Int
    public var state: TrainingState
    public var tensors: [TensorEntry]
  }

  public var header: Header
  /// Values of each `header.tensors` entry.
  public var values: [[Float]]

  /// The tensor called `name` as (shape, values), or nil.
  public func tensor(named name: String) -> Tensor<Float>? {
    guard let i = header.tensors.firstIndex(where: { $0.name == name }) else { return nil }
    return Tensor(shape: Shape(header.tensors[i].shape), storage: values[i])
  }
}

extension Trainer {
  /// A snapshot of the run as it stands (between two steps).
  public func checkpoint() -> Checkpoint {
    var entries: [Checkpoint.TensorEntry] = []
    var values: [[Float]] = []
    for (name, tensor) in model.exportedTensors() {
      entries.append(Checkpoint.TensorEntry(name: name, shape: tensor.shape.dims))
      values.append(tensor.storage)
    }
    for (parameter, velocity) in zip(model.parameters, velocities) {
      entries.append(
        Checkpoint.TensorEntry(
          name: parameter.name + Checkpoint.momentumSuffix, shape: parameter.shape.dims))
      values.append(velocity)
    }
    let header = Checkpoint.Header(
      graphName: model.graph.name, graphFingerprint: Checkpoint.fingerprint(model.graph),
      model: model.configuration, configuration: configuration, stepsPerEpoch: stepsPerEpoch,
      batchSize: batchSize, state: state, tensors: entries)
    return Checkpoint(header: header, values: values)
  }

  /// Continues the run `checkpoint` captured, on `model` built from the same graph (its current
  /// weights are replaced by the checkpoint's).
  ///
  /// - Throws: `TrainingError.checkpointMismatch` when the graph differs, or the errors of
  ///   `GraphModel.importTensors`.
  public init(model: GraphModel, resuming checkpoint: Checkpoint) throws {
    let header = checkpoint.header
    let fingerprint = Checkpoint.fingerprint(model.graph)
    guard header.graphFingerprint == fingerprint else {
      throw TrainingError.checkpointMismatch(
        detail: "it was written for graph '\(header.graphName)' (\(header.graphFingerprint)), "
          + "the model is '\(model.graph.name)' (\(fingerprint))")
    }
    let (saved, given) = (header.model, model.configuration)
    guard saved.batchNormEpsilon == given.batchNormEpsilon,
      saved.batchNormMomentum == given.batchNormMomentum
    else {
      throw TrainingError.checkpointMismatch(
        detail: "its batch norms use ε \(saved.batchNormEpsilon), momentum "
          + "\(saved.batchNormMomentum); the model ε \(given.batchNormEpsilon), momentum "
          + "\(given.batchNormMomentum)")
    }
    var model = model
    var tensors: [String: Tensor<Float>] = [:]
    for (entry, values) in zip(header.tensors, checkpoint.values)
    where !entry.name.hasSuffix(Checkpoint.momentumSuffix) {
      tensors[entry.name] = Tensor(shape: Shape(entry.shape), storage: values)
    }
    try model.importTensors(tensors)
    let velocities = try model.parameters.map { parameter -> [Float] in
      guard let v = checkpoint.tensor(named: parameter.name + Checkpoint.momentumSuffix),
        v.shape == parameter.shape
      else {
        throw TrainingError.badCheckpoint(
          reason: "the momentum of '\(parameter.name)' is missing or has the wrong shape")
      }
      return v.storage
    }
    try self.init(
      model: model, configuration: header.configuration, stepsPerEpoch: header.stepsPerEpoch,
      batchSize: header.batchSize)
    self.velocities = velocities
    self.state = header.state
  }
}

// MARK: - Bytes

extension Checkpoint {
  /// The checkpoint in the binary layout of the file comment.
  public func encoded() throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let json = Array(try encoder.encode(header))
    var bytes = Self.magic
    bytes.reserveCapacity(24 + json.count + 4 * values.reduce(0) { $0 + $1.count })
    Self.append(Self.formatVersion, to: &bytes)
    Self.append(UInt32(json.count), to: &bytes)
    bytes.append(contentsOf: json)
    for tensor in values {
      for v in tensor { Self.append(v.bitPattern, to: &bytes) }
    }
    Self.append(ParameterInit.fnv1a(bytes), to: &bytes)
    return bytes
  }

  /// Parses `encoded()` output, checking magic, version, checksum and sizes.
  public init(decoding bytes: [UInt8]) throws {
    guard bytes.count >= 24, Array(bytes[0..<8]) == Self.magic else {
      throw TrainingError.badCheckpoint(reason: "it does not start with the magic 'MCUNCKPT'")
    }
    let version: UInt32 = Self.load(bytes, at: 8)
    guard version == Self.formatVersion else {
      throw TrainingError.unsupportedCheckpointVersion(
        found: version, supported: Self.formatVersion)
    }
    let stored: UInt64 = Self.load(bytes, at: bytes.count - 8)
    guard stored == ParameterInit.fnv1a(bytes[0..<(bytes.count - 8)]) else {
      throw TrainingError.badCheckpoint(
        reason: "the checksum does not match (truncated or damaged)")
    }
    let headerLength = Int(Self.load(bytes, at: 12) as UInt32)
    guard 16 + headerLength <= bytes.count - 8 else {
      throw TrainingError.badCheckpoint(reason: "the header runs past the end of the data")
    }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let header: Header
    do {
      header = try decoder.decode(Header.self, from: Data(bytes[16..<(16 + headerLength)]))
    } catch {
      throw TrainingError.badCheckpoint(reason: "the header is not valid: \(error)")
    }
    var offset = 16 + headerLength
    let total = header.tensors.reduce(0) { $0 + $1.shape.reduce(1, *) }
    guard offset + 4 * total == bytes.count - 8 else {
      throw TrainingError.badCheckpoint(
        reason: "the header lists \(total) floats but \((bytes.count - 8 - offset) / 4) follow")
    }
    var values: [[Float]] = []
    for entry in header.tensors {
      let count = entry.shape.reduce(1, *)
      values.append(
        (0..<count).map { i in Float(bitPattern: Self.load(bytes, at: offset + 4 * i)) })
      offset += 4 * count
    }
    self.init(header: header, values: values)
  }

  /// FNV-1a of the graph's node list (name, op with attributes, inputs, output shape), hex.
  public static func fingerprint(_ graph: Graph) -> String {
    let text = graph.nodes.map { "\($0.name)|\($0.op)|\($0.inputs)|\($0.outputShape)" }
      .joined(separator: "\n")
    return String(ParameterInit.fnv1a(Array(text.utf8)), radix: 16)
  }

  private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
  }

  private static func load<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int) -> T {
    var value = T.zero
    for k in 0..<MemoryLayout<T>.size { value |= T(bytes[offset + k]) << (8 * k) }
    return value
  }
}

extension ParameterInit {
  /// 64-bit FNV-1a of a byte sequence.
  static func fnv1a<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01b3
    }
    return hash
  }
}
