// ModelBlob.swift
// The serialized model of the interpreter baseline (DESIGN.md §5, issue 4 §5): a QuantizedGraph
// as one self-describing little-endian byte blob ("MCUB", version 1; int8, or packed int4 with
// flag bit 0) that the C runtime in Sources/CInterpreter reads, validates and plans at run
// time, as TFLite Micro reads a .tflite flatbuffer. Everything is validated here first, so a
// blob that serializes is one the runtime accepts; the runtime validates again, because a blob
// is untrusted input.
// Not a TFLite flatbuffer, and not the generated code (CodeGen.swift).

import ModelIR
import Quantization
import TensorModule

/// A `QuantizedGraph` serialized for the C interpreter runtime (`mcu_interp_init`).
///
/// Tensor `i` is node `i`'s output (tensor 0 the graph input); op `k` is node `k + 1`, writes
/// tensor `k + 1` and reads only earlier tensors; the graph output is the last tensor. All
/// integers are little-endian; section offsets are from the blob start and multiples of 16;
/// constant offsets are relative to the constant section, every array 16-aligned in it.
///
/// Header (48 bytes):
///
/// | offset | type | field |
/// |---|---|---|
/// | 0 | u8[4] | magic `"MCUB"` |
/// | 4 | u16 | format version (1) |
/// | 6 | u16 | flags: bit 0 (`int4Flag`) set for an int4 model, every other bit 0 |
/// | 8 | u32 | total blob bytes |
/// | 12 | u16 | tensor count T (= N + 1) |
/// | 14 | u16 | op count N (>= 1) |
/// | 16 | u16 | input tensor (0) |
/// | 18 | u16 | output tensor (T − 1) |
/// | 20 | u32 | tensor table offset |
/// | 24 | u32 | op table offset |
/// | 28 | u32 | constant section offset |
/// | 32 | u32 | constant section bytes |
/// | 36 | u32[3] | reserved (0) |
///
/// Tensor table entry (24 bytes):
///
/// | offset | type | field |
/// |---|---|---|
/// | 0 | u16[4] | shape n (1), h, w, c; a linear output [1, C] is stored as [1, 1, 1, C] |
/// | 8 | u32 | bytes: n·h·w·c (int8), (n·h·w·c + 1) / 2 (int4, packed) |
/// | 12 | i32 | zero point, −128…127 (int4: −8…7) |
/// | 16 | f32 | scale (informative: the runtime never reads it) |
/// | 20 | u32 | reserved (0) |
///
/// Op table entry (64 bytes; fields an op does not use are 0, the bias `0xFFFF_FFFF`):
///
/// | offset | type | field |
/// |---|---|---|
/// | 0 | u8 | op code (`OpCode`) |
/// | 1 | u8 | rounding: 0 double, 1 single (`RoundingMode`) |
/// | 2 | u8 | input count (1; 2 for add) |
/// | 3 | u8 | reserved (0) |
/// | 4 | u16 | input 0 (tensor index) |
/// | 6 | u16 | input 1 (add), else `0xFFFF` |
/// | 8 | u16 | output (tensor index k + 1) |
/// | 10 | u16 | reserved (0) |
/// | 12 | u8[4] | kernel h, kernel w, stride h, stride w |
/// | 16 | u8[4] | padding top, left, bottom, right |
/// | 20 | i32 | input offset (−zp of input 0) |
/// | 24 | i32 | input 2 offset (add: −zp of input 1) |
/// | 28 | i32 | output offset (zp of the output) |
/// | 32 | i32 | activation min (the clamp, ReLU/ReLU6 folded in) |
/// | 36 | i32 | activation max |
/// | 40 | i32 | left shift (add: 20) |
/// | 44 | u32 | quant count: cOut (conv, depthwise, pointwise, linear), 3 (add), 0 (pools) |
/// | 48 | u32 | offset of the multipliers, i32[quant count] (add: input 1, input 2, output) |
/// | 52 | u32 | offset of the shifts, i32[quant count] |
/// | 56 | u32 | offset of the weights (int8 or packed int4): OHWI (conv, pointwise), 1HWO |
/// | | | (depthwise), [cOut, cIn] (linear) |
/// | 60 | u32 | offset of the int32 bias [cOut], or `0xFFFF_FFFF` for none |
///
/// Constant section: per op in order, its weights, bias, multipliers and shifts.
///
/// ## int4 models (flag bit 0)
///
/// An int4 `QuantizedGraph` (every tensor and weight int4, Int4.swift) is the same layout with
/// `int4Flag` set: every activation tensor and every weight array is packed two values per
/// byte in its flat order (element i in byte i / 2, even i in the low nibble; `PackedInt4`,
/// the `*_s4` kernels' format), so E elements take (E + 1) / 2 bytes, in the tensor table's
/// `bytes` and in the constant section; zero points and clamps lie in −8…7, weights in −7…7;
/// biases, multipliers, shifts and the add's left shift are int8's. The runtime runs the
/// `*_s4` kernels and plans the packed sizes; the graph input and output are packed bytes.
///
/// Why a flag and not version 2: nothing else of the layout changes, every int8 blob stays
/// byte for byte what version 1 was (and readable by older runtimes), and a runtime that
/// predates int4 already rejects the flag with `MCU_INTERP_UNSUPPORTED_FEATURE` instead of
/// misreading packed bytes.
public struct ModelBlob: Hashable, Sendable {
  /// The four magic bytes, `"MCUB"`.
  public static let magic: [UInt8] = Array("MCUB".utf8)
  /// The format version this writer produces (the runtime's `MCUB_VERSION`).
  public static let version = 1
  /// The header flag of int4 models (the runtime's `MCUB_FLAG_INT4`).
  public static let int4Flag = 1
  /// Bytes of the header.
  public static let headerBytes = 48
  /// Bytes of one tensor table entry.
  public static let tensorEntryBytes = 24
  /// Bytes of one op table entry.
  public static let opEntryBytes = 64
  /// Alignment of sections, constant arrays and of the runtime's planned buffers.
  public static let alignment = 16
  /// "No second input" in an op entry.
  public static let noTensor = 0xFFFF
  /// "No bias" in an op entry.
  public static let noBias: UInt32 = 0xFFFF_FFFF
  /// Bytes of the runtime's `mcu_interp_tensor`, one per tensor in the arena's persistent tail.
  /// Fixed by its pointer-free int32 layout; CInterpreterTests compares it with the C `sizeof`.
  public static let tensorStructBytes = 32
  /// Bytes of the runtime's `mcu_interp_node`, one per op in the persistent tail.
  public static let nodeStructBytes = 64
  /// The largest tensor a blob may declare, in bytes (2^30).
  public static let maxTensorBytes = 1 << 30

  /// The op codes of format version 1 (the runtime's `mcub_opcode`). Codes are only ever added,
  /// so the version stays 1: every older blob is still valid, and a runtime older than a code
  /// rejects it as an unknown opcode (`maxPool`, 8, came with the appendix-B models).
  public enum OpCode: UInt8, Hashable, Sendable, CaseIterable {
    case conv2d = 1
    case depthwiseConv2d = 2
    case pointwiseConv2d = 3
    case fullyConnected = 4
    case add = 5
    case avgPool = 6
    case globalAvgPool = 7
    case maxPool = 8
  }

  /// The blob.
  public let bytes: [UInt8]
  /// The model's precision: `.int4` blobs set `int4Flag` and hold packed tensors and weights.
  public let bitWidth: BitWidth
  /// Tensors in the tensor table (graph nodes, the input included).
  public let tensorCount: Int
  /// Ops in the op table (graph nodes after the input).
  public let opCount: Int
  /// Bytes of the constant section (weights, biases, multipliers, shifts, alignment padding).
  public let constantBytes: Int

  /// Bytes the runtime keeps in the arena's persistent tail: the tensor and the node structs,
  /// each array rounded up to 16 (`mcu_interp_arena_used`'s `persistent_bytes`).
  public var persistentBytes: Int {
    Self.alignUp(tensorCount * Self.tensorStructBytes)
      + Self.alignUp(opCount * Self.nodeStructBytes)
  }

  /// Bytes the runtime's planner borrows from the head during init: two int32 per tensor.
  public var workspaceBytes: Int { Self.alignUp(tensorCount * 8) }

  /// The arena a 16-byte-aligned buffer needs for this blob: `max(planned, workspace) +
  /// persistent`, where `plannedBytes` is the greedy plan of
  /// `graph.memoryProblem(.interpreter(pad: .none), precision: p)` with `p` the blob's
  /// precision (what the runtime computes at init; `.int4`: tensors in packed bytes).
  public func arenaBytes(plannedBytes: Int) -> Int {
    max(plannedBytes, workspaceBytes) + persistentBytes
  }

  /// Serializes `q`; see the type's documentation for the format.
  ///
  /// - Throws: `ModelBlobError` naming the node: a value beyond the format's field widths,
  ///   weights that do not match their shape (or, for int4, lie outside −7…7), or quantization
  ///   parameters the kernels cannot run at the graph's bit width.
  public init(_ q: QuantizedGraph) throws {
    let graph = q.graph
    guard q.layers.count == graph.nodes.count else {
      throw ModelBlobError.layerCountMismatch(
        graph: graph.name, nodes: graph.nodes.count, layers: q.layers.count)
    }
    guard graph.nodes.count >= 2 else { throw ModelBlobError.emptyGraph(graph: graph.name) }
    let tensorCount = graph.nodes.count
    try Self.limit(graph.output.name, "tensor count", tensorCount, Self.noTensor - 1)

    var tensors = ByteWriter()
    for (i, node) in graph.nodes.enumerated() {
      tensors.append(try Self.tensorEntry(node, q.layers[i].output, bitWidth: q.bitWidth))
    }
    var ops = ByteWriter()
    var constants = ByteWriter()
    for i in graph.nodes.indices.dropFirst() {
      ops.append(try Self.opEntry(q, node: i, constants: &constants))
    }

    let tensorTable = Self.headerBytes
    let opTable = Self.alignUp(tensorTable + tensors.bytes.count)
    let constantSection = Self.alignUp(opTable + ops.bytes.count)
    constants.pad(to: Self.alignment)
    let total = constantSection + constants.bytes.count
    try Self.limit(graph.name, "blob bytes", total, Int(UInt32.max))

    var blob = ByteWriter()
    blob.append(Self.magic)
    blob.u16(Self.version)
    blob.u16(q.bitWidth == .int4 ? Self.int4Flag : 0)
    blob.u32(total)
    blob.u16(tensorCount)
    blob.u16(tensorCount - 1)
    blob.u16(0)
    blob.u16(tensorCount - 1)
    blob.u32(tensorTable)
    blob.u32(opTable)
    blob.u32(constantSection)
    blob.u32(constants.bytes.count)
    for _ in 0..<3 { blob.u32(0) }
    blob.append(tensors.bytes)
    blob.pad(to: Self.alignment)
    blob.append(ops.bytes)
    blob.pad(to: Self.alignment)
    blob.append(constants.bytes)
    precondition(blob.bytes.count == total, "blob layout: \(blob.bytes.count) != \(total)")

    self.bytes = blob.bytes
    self.bitWidth = q.bitWidth
    self.tensorCount = tensorCount
    self.opCount = tensorCount - 1
    self.constantBytes = constants.bytes.count
  }

  /// The blob of `q` (`ModelBlob(q).bytes`).
  ///
  /// - Throws: `ModelBlobError` (see `init(_:)`).
  public static func serialize(_ q: QuantizedGraph) throws -> [UInt8] { try ModelBlob(q).bytes }

  // MARK: - Entries

  /// Bytes of `elements` values at `bitWidth` (int4: packed, two per byte).
  static func valueBytes(_ elements: Int, _ bitWidth: BitWidth) -> Int {
    bitWidth == .int4 ? (elements + 1) / 2 : elements
  }

  private static func tensorEntry(_ node: Node, _ quant: QuantParams, bitWidth: BitWidth)
    throws -> [UInt8]
  {
    let dims = node.outputShape.dims
    guard dims.first == 1, dims.count == 4 || dims.count == 2 else {
      throw ModelBlobError.unsupportedShape(node: node.name, shape: dims)
    }
    let (h, w, c) = dims.count == 4 ? (dims[1], dims[2], dims[3]) : (1, 1, dims[1])
    for (field, value) in [("height", h), ("width", w), ("channels", c)] {
      try limit(node.name, field, value, 0xFFFF)
    }
    try limit(node.name, "output bytes", node.outputElements, maxTensorBytes)
    do {
      try quant.validate(bitWidth: bitWidth, what: "\(bitWidth) output of node '\(node.name)'")
    } catch {
      throw ModelBlobError.invalidQuantization(node: node.name, reason: "\(error)")
    }
    var e = ByteWriter()
    for d in [1, h, w, c] { e.u16(d) }
    e.u32(valueBytes(node.outputElements, bitWidth))
    e.i32(quant.zeroPoint)
    e.u32(Int(quant.scale.bitPattern))
    e.u32(0)
    return e.bytes
  }

  /// The fields of one op entry before encoding.
  private struct OpFields {
    var code: OpCode
    var inputs: [Int]
    var window = [Int](repeating: 0, count: 8)  // kH, kW, sH, sW, top, left, bottom, right
    var inputOffset: Int32 = 0
    var input2Offset: Int32 = 0
    var outputOffset: Int32 = 0
    var activationMin: Int32 = -128
    var activationMax: Int32 = 127
    var leftShift = 0
    var multipliers: [FixedPointMultiplier] = []
    /// The weights as stored: int8 bytes, or packed int4.
    var weights: [UInt8]? = nil
    var bias: [Int32]? = nil
  }

  private static func opEntry(_ q: QuantizedGraph, node i: Int, constants: inout ByteWriter)
    throws -> [UInt8]
  {
    let fields = try opFields(q, node: i)
    let node = q.graph.nodes[i]
    let names = [
      "kernel h", "kernel w", "stride h", "stride w", "pad top", "pad left", "pad bottom",
      "pad right",
    ]
    for (name, value) in zip(names, fields.window) { try limit(node.name, name, value, 0xFF) }
    // Constants: weights, bias, multipliers, shifts, each 16-aligned in the section.
    var weightsOffset = 0
    var biasOffset = Int(noBias)
    var multiplierOffset = 0
    var shiftOffset = 0
    if let weights = fields.weights {
      constants.pad(to: alignment)
      weightsOffset = constants.bytes.count
      constants.append(weights)
    }
    if let bias = fields.bias {
      constants.pad(to: alignment)
      biasOffset = constants.bytes.count
      for b in bias { constants.i32(b) }
    }
    if !fields.multipliers.isEmpty {
      constants.pad(to: alignment)
      multiplierOffset = constants.bytes.count
      for m in fields.multipliers { constants.i32(m.multiplier) }
      constants.pad(to: alignment)
      shiftOffset = constants.bytes.count
      for m in fields.multipliers { constants.i32(Int32(m.shift)) }
    }
    try limit(node.name, "constant section bytes", constants.bytes.count, Int(UInt32.max) - 64)

    var e = ByteWriter()
    e.u8(Int(fields.code.rawValue))
    e.u8(q.roundingMode == .singleRounding ? 1 : 0)
    e.u8(fields.inputs.count)
    e.u8(0)
    e.u16(fields.inputs[0])
    e.u16(fields.inputs.count > 1 ? fields.inputs[1] : noTensor)
    e.u16(i)
    e.u16(0)
    for v in fields.window { e.u8(v) }
    e.i32(fields.inputOffset)
    e.i32(fields.input2Offset)
    e.i32(fields.outputOffset)
    e.i32(fields.activationMin)
    e.i32(fields.activationMax)
    e.i32(Int32(fields.leftShift))
    e.u32(fields.multipliers.count)
    e.u32(multiplierOffset)
    e.u32(shiftOffset)
    e.u32(weightsOffset)
    e.u32(biasOffset)
    precondition(e.bytes.count == opEntryBytes, "op entry is \(e.bytes.count) bytes")
    return e.bytes
  }

  /// The op's fields, validated with the Quantization parameter checks the kernels rely on.
  private static func opFields(_ q: QuantizedGraph, node i: Int) throws -> OpFields {
    let node = q.graph.nodes[i]
    let layer = q.layers[i]
    let inputShape = q.graph.nodes[node.inputs[0]].outputShape
    let bits = q.bitWidth
    func quantization<T>(_ body: () throws -> T) throws -> T {
      do {
        return try body()
      } catch let error as QuantizationError {
        throw ModelBlobError.invalidQuantization(node: node.name, reason: error.description)
      }
    }
    // The weights as stored: int8 as they are, int4 checked against −7…7 and packed.
    func checkedWeights(expected: Int) throws -> [UInt8] {
      guard layer.weights.count == expected, layer.weightShape.count == expected else {
        throw ModelBlobError.weightsMismatch(
          node: node.name, what: "weights of shape \(layer.weightShape)", expected: expected,
          actual: layer.weights.count)
      }
      guard bits == .int4 else { return layer.weights.map { UInt8(bitPattern: $0) } }
      return try quantization {
        try Int4.validate(layer.weights, range: bits.weightRange, what: "int4 weights")
        return try PackedInt4(packing: layer.weights).bytes
      }
    }
    func conv(_ code: OpCode, _ p: ConvParams, kernelH: Int, kernelW: Int, weights: Int) throws
      -> OpFields
    {
      let bias = layer.bias.isEmpty ? nil : layer.bias
      _ = try quantization {
        switch code {
        case .depthwiseConv2d:
          try p.validateDepthwiseConv2D(
            inputShape: inputShape, filterShape: layer.weightShape, biasCount: bias?.count,
            bitWidth: bits)
        case .pointwiseConv2d:
          try p.validatePointwiseConv2D(
            inputShape: inputShape, filterShape: layer.weightShape, biasCount: bias?.count,
            bitWidth: bits)
        default:
          try p.validateConv2D(
            inputShape: inputShape, filterShape: layer.weightShape, biasCount: bias?.count,
            bitWidth: bits)
        }
      }
      var f = OpFields(code: code, inputs: node.inputs)
      f.window = [
        kernelH, kernelW, p.strideH, p.strideW, p.padTop, p.padLeft, p.padBottom,
        p.padRight,
      ]
      f.inputOffset = p.inputOffset
      f.outputOffset = p.outputOffset
      f.activationMin = p.activationMin
      f.activationMax = p.activationMax
      f.multipliers = p.outputMultipliers
      f.weights = try checkedWeights(expected: weights)
      f.bias = bias
      return f
    }

    switch node.op {
    case .input:
      throw ModelBlobError.unsupportedOp(node: node.name, op: "input after the first node")
    case .conv2d(let a):
      let p = try quantization { try q.convParams(ofNode: i) }
      let cIn = inputShape[3]
      return try conv(
        a.isPointwise ? .pointwiseConv2d : .conv2d, p, kernelH: a.kernelH, kernelW: a.kernelW,
        weights: a.outChannels * a.kernelH * a.kernelW * cIn)
    case .depthwiseConv2d(let a):
      let p = try quantization { try q.convParams(ofNode: i) }
      return try conv(
        .depthwiseConv2d, p, kernelH: a.kernelH, kernelW: a.kernelW,
        weights: a.kernelH * a.kernelW * inputShape[3])
    case .linear(let a):
      let p = try quantization { try q.fullyConnectedParams(ofNode: i) }
      let cIn = inputShape.count
      let bias = layer.bias.isEmpty ? nil : layer.bias
      _ = try quantization {
        try p.validate(
          inputShape: [1, cIn], filterShape: [a.outFeatures, cIn], biasCount: bias?.count,
          perChannel: true, bitWidth: bits)
      }
      try limit(node.name, "input features", cIn, ConvParams.maxAccumulationDepth)
      var f = OpFields(code: .fullyConnected, inputs: node.inputs)
      f.inputOffset = p.inputOffset
      f.outputOffset = p.outputOffset
      f.activationMin = p.activationMin
      f.activationMax = p.activationMax
      f.multipliers = p.outputMultipliers
      f.weights = try checkedWeights(expected: a.outFeatures * cIn)
      f.bias = bias
      return f
    case .add:
      let p = try quantization { try q.addParams(ofNode: i) }
      try quantization { try p.validate(bitWidth: bits) }
      var f = OpFields(code: .add, inputs: node.inputs)
      f.inputOffset = p.input1Offset
      f.input2Offset = p.input2Offset
      f.outputOffset = p.outputOffset
      f.activationMin = p.activationMin
      f.activationMax = p.activationMax
      f.leftShift = p.leftShift
      f.multipliers = [p.input1Multiplier, p.input2Multiplier, p.outputMultiplier]
      return f
    case .avgPool, .maxPool:
      // The clamp is the bit width's full range (pools have no fused activation).
      let p = try quantization { try q.poolParams(ofNode: i) }
      _ = try quantization { try p.validate(inputShape: inputShape, bitWidth: bits) }
      var code = OpCode.avgPool
      if case .maxPool = node.op {
        code = .maxPool
        let zpIn = q.layers[node.inputs[0]].output.zeroPoint
        let zpOut = layer.output.zeroPoint
        guard zpIn == zpOut else {
          throw ModelBlobError.invalidQuantization(
            node: node.name,
            reason: "max pool output zero point \(zpOut) differs from its input's \(zpIn); max "
              + "pool keeps its input's quantization (build the QuantizedGraph with "
              + "QuantizedGraph(graph:weights:ranges:))")
        }
      }
      var f = OpFields(code: code, inputs: node.inputs)
      f.window = [
        p.filterH, p.filterW, p.strideH, p.strideW, p.padTop, p.padLeft, p.padBottom,
        p.padRight,
      ]
      f.activationMin = p.activationMin
      f.activationMax = p.activationMax
      return f
    case .globalAvgPool:
      try limit(node.name, "pixels", inputShape[1] * inputShape[2], (1 << 24) - 1)
      var f = OpFields(code: .globalAvgPool, inputs: node.inputs)
      f.activationMin = bits.activationRange.lowerBound
      f.activationMax = bits.activationRange.upperBound
      return f
    }
  }

  // MARK: - Helpers

  static func alignUp(_ bytes: Int) -> Int { (bytes + alignment - 1) / alignment * alignment }

  private static func limit(_ node: String, _ field: String, _ value: Int, _ max: Int) throws {
    guard value >= 0, value <= max else {
      throw ModelBlobError.formatLimit(node: node, field: field, value: value, limit: max)
    }
  }
}

/// Little-endian encoding into a growing byte array.
private struct ByteWriter {
  var bytes: [UInt8] = []

  mutating func append(_ data: [UInt8]) { bytes += data }
  mutating func u8(_ v: Int) { bytes.append(UInt8(truncatingIfNeeded: v)) }
  mutating func u16(_ v: Int) {
    for k in 0..<2 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
  }
  mutating func u32(_ v: Int) {
    for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
  }
  mutating func i32(_ v: Int32) { u32(Int(UInt32(bitPattern: v))) }
  /// Zero bytes up to the next multiple of `alignment`.
  mutating func pad(to alignment: Int) {
    while bytes.count % alignment != 0 { bytes.append(0) }
  }
}

/// Why a `QuantizedGraph` cannot be serialized (STYLE.md B5.2): every case names the graph or
/// node and the message says what to do.
public enum ModelBlobError: Error, Equatable, CustomStringConvertible {
  /// `layers` does not have one entry per node.
  case layerCountMismatch(graph: String, nodes: Int, layers: Int)
  /// The graph has no op after its input.
  case emptyGraph(graph: String)
  /// The node's op has no op code in the format.
  case unsupportedOp(node: String, op: String)
  /// The node's output is neither [1, H, W, C] nor [1, C].
  case unsupportedShape(node: String, shape: [Int])
  /// A value does not fit its field (u8 kernel/stride/padding, u16 dimensions and counts, ...).
  case formatLimit(node: String, field: String, value: Int, limit: Int)
  /// The node's weights do not match the shape its op implies.
  case weightsMismatch(node: String, what: String, expected: Int, actual: Int)
  /// The node's quantization parameters or weights fail the kernels' checks at the graph's
  /// bit width (e.g. an int4 graph holding int8 values).
  case invalidQuantization(node: String, reason: String)

  public var description: String {
    switch self {
    case .layerCountMismatch(let graph, let nodes, let layers):
      return "graph '\(graph)' has \(nodes) nodes but \(layers) quantized layers; build the "
        + "QuantizedGraph from this graph"
    case .emptyGraph(let graph):
      return "graph '\(graph)' has no layer after its input; add at least one op"
    case .unsupportedOp(let node, let op):
      return "node '\(node)': \(op) has no op code in blob format version \(ModelBlob.version)"
    case .unsupportedShape(let node, let shape):
      return "node '\(node)': output shape \(shape) is neither [1, H, W, C] nor [1, C]; the "
        + "interpreter runs batch-1 NHWC graphs"
    case .formatLimit(let node, let field, let value, let limit):
      return "node '\(node)': \(field) \(value) exceeds the blob format's limit \(limit); "
        + "shrink the layer or use the generated code"
    case .weightsMismatch(let node, let what, let expected, let actual):
      return "node '\(node)': \(what) hold \(actual) values, its op needs \(expected); "
        + "re-quantize the layer from weights of the right shape"
    case .invalidQuantization(let node, let reason):
      return "node '\(node)': \(reason)"
    }
  }
}
