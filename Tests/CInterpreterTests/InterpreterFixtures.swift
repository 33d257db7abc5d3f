// InterpreterFixtures.swift
// What the CInterpreter tests share: four tiny graphs that together use every op code of the
// blob format (and one int4 graph that uses all of them), seeded random int8 or int4
// QuantizedGraphs (CodeGen's RandomQuantizedGraph), and `Runtime`, which runs the C
// interpreter in-process on copies of a blob and an arena.

import CInterpreter
import CodeGen
import ModelIR
import Quantization
import TensorModule

// MARK: - Graphs

enum TestGraphs {
  /// input 11×9×4 → pw 8 relu6 → conv 5×5 s1 relu6 → dw 3×3 s1 relu6 → pw 6 →
  /// avgpool 2×2 s2 → linear 5 (on the flattened [1, 5, 4, 6]). Odd sizes.
  static func chain() throws -> Graph {
    var b = GraphBuilder(name: "chain")
    var x = try b.addInput(height: 11, width: 9, channels: 4)
    x = try b.add(
      .conv2d(.init(outChannels: 8, kernel: 1, stride: 1, activation: .relu6)), inputs: [x],
      name: "expand")
    x = try b.add(
      .conv2d(.init(outChannels: 8, kernel: 5, stride: 1, activation: .relu6)), inputs: [x],
      name: "conv5")
    x = try b.add(
      .depthwiseConv2d(.init(kernel: 3, stride: 1, activation: .relu6)), inputs: [x], name: "dw3")
    x = try b.add(
      .conv2d(.init(outChannels: 6, kernel: 1, stride: 1, activation: .none)), inputs: [x],
      name: "project")
    x = try b.add(.avgPool(PoolAttributes(kernel: 2, stride: 2)), inputs: [x], name: "pool")
    try b.add(.linear(LinearAttributes(outFeatures: 5)), inputs: [x], name: "classifier")
    return b.graph
  }

  /// input 16×16×8 → MBConv (e3, dw 3×3 s2) 8 → 16 → MBConv (e3, dw 5×5 s1) 16 → 16 with a
  /// residual add → GAP → linear 10. The skip tensor lives across the second block.
  static func residual() throws -> Graph {
    var b = GraphBuilder(name: "residual")
    var x = try b.addInput(height: 16, width: 16, channels: 8)
    x = try mbconv(&b, x, expand: 24, kernel: 3, stride: 2, out: 16, name: "b1")
    let skip = x
    x = try mbconv(&b, x, expand: 48, kernel: 5, stride: 1, out: 16, name: "b2")
    x = try b.add(.add(activation: .none), inputs: [skip, x], name: "b2.add")
    x = try b.add(.globalAvgPool, inputs: [x], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 10)), inputs: [x], name: "classifier")
    return b.graph
  }

  /// The odd corners: a first conv 3×3 s2 on 3 channels, a 1×1 conv with stride 2 (a
  /// `conv2d`, not a pointwise op), a 3×3 conv with asymmetric padding, a 7×7 depthwise on a
  /// 2×2 map (padding larger than the map), an add with ReLU, a padded 3×3 avgpool, linear.
  static func corners() throws -> Graph {
    var b = GraphBuilder(name: "corners")
    var x = try b.addInput(height: 13, width: 10, channels: 3)
    x = try b.add(
      .conv2d(.init(outChannels: 8, kernel: 3, stride: 2, activation: .relu6)), inputs: [x],
      name: "first_conv")
    x = try b.add(
      .conv2d(.init(outChannels: 12, kernel: 1, stride: 2, activation: .relu)), inputs: [x],
      name: "conv1x1_s2")
    x = try b.add(
      .conv2d(
        .init(
          outChannels: 12, kernel: 3, stride: 2,
          padding: Padding(top: 0, left: 1, bottom: 2, right: 1), activation: .relu6)),
      inputs: [x], name: "conv_asym")
    let skip = x
    x = try b.add(
      .depthwiseConv2d(.init(kernel: 7, stride: 1, activation: .none)), inputs: [x],
      name: "dw7_tiny")
    x = try b.add(.add(activation: .relu), inputs: [x, skip], name: "add_relu")
    x = try b.add(
      .avgPool(
        PoolAttributes(kernel: 3, stride: 1, padding: Padding(top: 1, left: 1, bottom: 1, right: 1))
      ),
      inputs: [x], name: "pool_padded")
    try b.add(.linear(LinearAttributes(outFeatures: 7)), inputs: [x], name: "classifier")
    return b.graph
  }

  /// SmallCifar in miniature, odd sizes: input 13×11×3 → conv 5×5 bias relu 8 → maxpool 2×2
  /// s2 (6×5) → conv 3×3 relu 12 → maxpool 3×3 s2 padded 1/1/0/1 (3×3) → linear 4.
  static func maxPooled() throws -> Graph {
    var b = GraphBuilder(name: "maxpooled")
    var x = try b.addInput(height: 13, width: 11, channels: 3)
    x = try b.add(
      .conv2d(
        .init(
          outChannels: 8, kernel: 5, stride: 1, batchNorm: false, bias: true, activation: .relu)),
      inputs: [x], name: "conv1")
    x = try b.add(.maxPool(PoolAttributes(kernel: 2, stride: 2)), inputs: [x], name: "pool1")
    x = try b.add(
      .conv2d(.init(outChannels: 12, kernel: 3, stride: 1, activation: .relu)), inputs: [x],
      name: "conv2")
    x = try b.add(
      .maxPool(
        PoolAttributes(kernel: 3, stride: 2, padding: Padding(top: 1, left: 1, bottom: 0, right: 1))
      ),
      inputs: [x], name: "pool2")
    try b.add(.linear(LinearAttributes(outFeatures: 4)), inputs: [x], name: "classifier")
    return b.graph
  }

  /// Every op code in one graph, for int4, with odd channel and element counts so tensors and
  /// weight arrays end mid-byte: input 13×9×3 → conv 3×3 s2 (7, relu6) → MBConv (e3: pw 21,
  /// dw 3×3 s1, pw 7) + residual add → maxpool 3×3 s1 padded 1 → dw 5×5 s2 (relu) → avgpool
  /// 2×2 s1 → pw 5 → GAP → linear 9.
  static func int4Every() throws -> Graph {
    var b = GraphBuilder(name: "int4every")
    var x = try b.addInput(height: 13, width: 9, channels: 3)
    x = try b.add(
      .conv2d(.init(outChannels: 7, kernel: 3, stride: 2, activation: .relu6)), inputs: [x],
      name: "first_conv")
    let skip = x
    x = try mbconv(&b, x, expand: 21, kernel: 3, stride: 1, out: 7, name: "b1")
    x = try b.add(.add(activation: .none), inputs: [skip, x], name: "b1.add")
    x = try b.add(
      .maxPool(
        PoolAttributes(kernel: 3, stride: 1, padding: Padding(top: 1, left: 1, bottom: 1, right: 1))
      ),
      inputs: [x], name: "maxpool")
    x = try b.add(
      .depthwiseConv2d(.init(kernel: 5, stride: 2, activation: .relu)), inputs: [x], name: "dw5")
    x = try b.add(.avgPool(PoolAttributes(kernel: 2, stride: 1)), inputs: [x], name: "avgpool")
    x = try b.add(
      .conv2d(.init(outChannels: 5, kernel: 1, stride: 1, activation: .none)), inputs: [x],
      name: "project")
    x = try b.add(.globalAvgPool, inputs: [x], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 9)), inputs: [x], name: "classifier")
    return b.graph
  }

  /// Expand pw (relu6) → depthwise (relu6) → project pw (linear).
  static func mbconv(
    _ b: inout GraphBuilder, _ x: Int, expand: Int, kernel: Int, stride: Int, out: Int,
    name: String
  ) throws -> Int {
    var y = try b.add(
      .conv2d(.init(outChannels: expand, kernel: 1, stride: 1, activation: .relu6)),
      inputs: [x], name: "\(name).expand")
    y = try b.add(
      .depthwiseConv2d(.init(kernel: kernel, stride: stride, activation: .relu6)), inputs: [y],
      name: "\(name).dw")
    return try b.add(
      .conv2d(.init(outChannels: out, kernel: 1, stride: 1, activation: .none)), inputs: [y],
      name: "\(name).project")
  }

  /// The tiny graphs by name (for parameterized tests).
  static func named(_ name: String) throws -> Graph {
    switch name {
    case "chain": return try chain()
    case "residual": return try residual()
    case "maxpooled": return try maxPooled()
    case "int4every": return try int4Every()
    default: return try corners()
    }
  }

  static let tinyNames = ["chain", "residual", "corners", "maxpooled"]

  /// mcunet-in0 (MCUNet 10 FPS ImageNet model) at its real resolution 48.
  static func mcunetIn0() throws -> Graph {
    guard let model = ModelZoo.model("mcunet-in0") else {
      throw FixtureError.missingZooModel("mcunet-in0")
    }
    return try model.graph()
  }
}

/// A fixture that could not be built.
enum FixtureError: Error {
  case missingZooModel(String)
}

// MARK: - Random quantized graphs

enum TestQuantizer {
  /// A seeded int8 (or `bitWidth`) QuantizedGraph of `graph`: CodeGen's RandomQuantizedGraph
  /// (He-scaled random weights, ranges calibrated by a float forward pass over
  /// `calibrationImages` random images, TFLite post-training quantization).
  static func make(
    _ graph: Graph, seed: UInt64, rounding: RoundingMode = .doubleRounding,
    calibrationImages: Int = 2, bitWidth: BitWidth = .int8
  ) throws -> QuantizedGraph {
    var rng = SeededGenerator(seed: seed)
    return try RandomQuantizedGraph.make(
      graph, roundingMode: rounding, calibrationImages: calibrationImages, bitWidth: bitWidth,
      using: &rng)
  }

  /// A seeded random image for `q` (NHWC): int8 uniform over −128...127, or int4 VALUES
  /// uniform over −8...7 (unpacked) for an int4 graph.
  static func input(for q: QuantizedGraph, seed: UInt64) -> [Int8] {
    var rng = SeededGenerator(seed: seed)
    return RandomQuantizedGraph.input(for: q, using: &rng)
  }
}

// MARK: - The C runtime in-process

/// One C interpreter over private copies of a blob and an arena, both owned by this object.
///
/// The blob copy is 16-byte aligned plus `blobMisalignment`; the arena copy is 16-byte aligned
/// plus `arenaMisalignment` (to test the runtime's alignment handling).
final class Runtime {
  /// Status of `mcu_interp_init`.
  let initStatus: mcu_interp_status
  private let interpreter: UnsafeMutablePointer<mcu_interpreter>
  private let blobStorage: UnsafeMutableRawPointer
  private let arenaStorage: UnsafeMutableRawPointer
  /// Arena bytes given to the runtime.
  let arenaBytes: Int

  /// Runs `mcu_interp_init` on copies of `blob` and of an `arenaBytes`-byte arena (default:
  /// 4 MiB, enough for every test model).
  init(
    blob: [UInt8], arenaBytes: Int = 4 << 20, blobMisalignment: Int = 0,
    arenaMisalignment: Int = 0
  ) {
    self.arenaBytes = arenaBytes
    interpreter = .allocate(capacity: 1)
    interpreter.initialize(to: mcu_interpreter())
    blobStorage = .allocate(byteCount: blob.count + 16, alignment: 16)
    let blobStart = blobStorage + blobMisalignment
    blob.withUnsafeBytes { source in
      if let base = source.baseAddress { blobStart.copyMemory(from: base, byteCount: blob.count) }
    }
    arenaStorage = .allocate(byteCount: arenaBytes + 16, alignment: 16)
    arenaStorage.initializeMemory(as: UInt8.self, repeating: 0xA5, count: arenaBytes + 16)
    initStatus = mcu_interp_init(
      interpreter, blobStart.assumingMemoryBound(to: UInt8.self), blob.count,
      (arenaStorage + arenaMisalignment).assumingMemoryBound(to: UInt8.self), arenaBytes)
  }

  deinit {
    interpreter.deallocate()
    blobStorage.deallocate()
    arenaStorage.deallocate()
  }

  /// `mcu_interp_error_message`.
  var message: String { String(cString: mcu_interp_error_message(interpreter)) }

  /// Planned (head) and persistent (tail) bytes, or nil before a successful init.
  var arenaUsed: (planned: Int, persistent: Int)? {
    var planned = 0
    var persistent = 0
    guard mcu_interp_arena_used(interpreter, &planned, &persistent) == MCU_INTERP_OK else {
      return nil
    }
    return (planned, persistent)
  }

  /// `mcu_interp_required_bytes` and whether the number is exact.
  var required: (bytes: Int, exact: Bool) {
    var exact: Int32 = 0
    let bytes = mcu_interp_required_bytes(interpreter, &exact)
    return (bytes, exact == 1)
  }

  /// The planned offset of every tensor (-1 before a successful init).
  var tensorOffsets: [Int] {
    (0..<Int(interpreter.pointee.tensor_count)).map {
      Int(mcu_interp_tensor_offset(interpreter, Int32($0)))
    }
  }

  /// Runs `mcu_interp_invoke` on `input`; returns the status and the output bytes.
  func invoke(_ input: [Int8]) -> (status: mcu_interp_status, output: [Int8]) {
    let (status, output) = invoke(packed: input.map { UInt8(bitPattern: $0) })
    return (status, output.map { Int8(bitPattern: $0) })
  }

  /// Runs `mcu_interp_invoke` on raw input bytes (packed int4 for an int4 model); returns the
  /// status and the raw output bytes.
  func invoke(packed input: [UInt8]) -> (status: mcu_interp_status, output: [UInt8]) {
    var output = [UInt8](repeating: 0, count: Int(max(mcu_interp_output_bytes(interpreter), 1)))
    let status = output.withUnsafeMutableBufferPointer { out in
      input.withUnsafeBufferPointer {
        mcu_interp_invoke(interpreter, $0.baseAddress, out.baseAddress)
      }
    }
    return (status, status == MCU_INTERP_OK ? output : [])
  }

  /// `mcu_interp_is_int4`.
  var isInt4: Bool { mcu_interp_is_int4(interpreter) == 1 }

  /// `mcu_interp_invoke` with NULL input and output (an argument error).
  func invokeWithNullPointers() -> mcu_interp_status {
    mcu_interp_invoke(interpreter, nil, nil)
  }
}

/// The name of a runtime status (`mcu_interp_status_name`).
func statusName(_ status: mcu_interp_status) -> String {
  String(cString: mcu_interp_status_name(status))
}

// MARK: - Blob editing

extension Array where Element == UInt8 {
  /// The little-endian u32 at `offset`.
  func u32(at offset: Int) -> Int {
    (0..<4).reduce(0) { $0 | Int(self[offset + $1]) << (8 * $1) }
  }

  /// Writes `value` as a little-endian u16 at `offset`.
  mutating func setU16(_ value: Int, at offset: Int) {
    for k in 0..<2 { self[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
  }

  /// Writes `value` as a little-endian u32 at `offset`.
  mutating func setU32(_ value: Int, at offset: Int) {
    for k in 0..<4 { self[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
  }
}

/// Byte offsets of a blob's sections, read from its header.
struct BlobLayout {
  let tensorTable: Int
  let opTable: Int
  let constants: Int
  let constantBytes: Int

  init(_ blob: [UInt8]) {
    tensorTable = blob.u32(at: 20)
    opTable = blob.u32(at: 24)
    constants = blob.u32(at: 28)
    constantBytes = blob.u32(at: 32)
  }

  /// Offset of field `field` of op `k`'s entry.
  func op(_ k: Int, _ field: Int) -> Int { opTable + k * ModelBlob.opEntryBytes + field }

  /// Offset of field `field` of tensor `i`'s entry.
  func tensor(_ i: Int, _ field: Int) -> Int {
    tensorTable + i * ModelBlob.tensorEntryBytes + field
  }
}
