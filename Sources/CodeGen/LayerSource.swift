// LayerSource.swift
// The C of one lowered layer: its constant data (weights, bias, multipliers, shifts, parameter
// structs, dims) as `static const` Flash arrays, and its kernel call on arena offsets. Pad,
// requantization and ReLU6 are fused into the kernels: one call per node. Not the arena or the
// entry point (ModelSource.swift).

import Kernels
import ModelIR
import Quantization

/// Declarations and call of one layer.
struct LayerSource {
  var declarations: String
  var call: String
  /// Bytes of the layer's weight, bias, multiplier and shift arrays.
  var constantBytes: Int

  init(_ layer: LoweredLayer, q: QuantizedGraph) {
    var parts = Parts(layer: layer, q: q)
    switch parts.node.op {
    case .conv2d, .depthwiseConv2d: parts.conv()
    case .linear: parts.linear()
    case .add: parts.add()
    case .avgPool, .maxPool: parts.pool()
    case .globalAvgPool, .input: parts.globalPool()
    }
    declarations = parts.declarations
    call = CText.call(layer.kernel.symbol, parts.args, indent: 2, prefix: "status = ")
    constantBytes = parts.bytes
  }

  /// The declarations and call arguments of one layer, op by op.
  private struct Parts {
    let layer: LoweredLayer
    let q: QuantizedGraph
    let node: Node
    /// The layer's identifier prefix.
    let p: String
    var declarations: String
    var args: [String] = []
    var bytes = 0

    init(layer: LoweredLayer, q: QuantizedGraph) {
      self.layer = layer
      self.q = q
      node = q.graph.nodes[layer.index]
      p = layer.ident
      declarations = CText.comment(LayerSource.headline(layer, node: node))
    }

    /// [N, H, W, C] of a tensor; a flat [N, C] tensor as [1, 1, 1, count].
    func dims(ofNode i: Int) -> [Int] {
      let shape = q.graph.nodes[i].outputShape
      return shape.rank == 4 ? shape.dims : [1, 1, 1, shape.count]
    }

    var input: String { LayerSource.arena(layer.inputOffsets[0]) }
    var output: String { LayerSource.arena(layer.outputOffset) }

    mutating func conv() {
      let params = LayerSource.checked { try q.convParams(ofNode: layer.index) }
      declarations += LayerSource.weightArrays(
        layer, q: q, multipliers: params.outputMultipliers, bytes: &bytes)
      declarations += LayerSource.convParams(p + "_params", params)
      declarations += LayerSource.dims(p + "_input_dims", dims(ofNode: node.inputs[0]))
      declarations += LayerSource.dims(
        p + "_filter_dims", q.layers[layer.index].weightShape.dims)
      declarations += LayerSource.dims(p + "_output_dims", dims(ofNode: layer.index))
      args = [
        "&\(p)_params", "&\(p)_quant", "&\(p)_input_dims", input, "&\(p)_filter_dims",
        "\(p)_weights", "\(p)_bias", "&\(p)_output_dims",
      ]
      if !layer.inPlace { args.append(output) }
      if layer.kernel.scratchArgument {
        args.append(LayerSource.arena(layer.scratch?.offset ?? 0))
      }
    }

    mutating func linear() {
      let params = LayerSource.checked { try q.fullyConnectedParams(ofNode: layer.index) }
      let cIn = q.graph.nodes[node.inputs[0]].outputElements
      declarations += LayerSource.weightArrays(
        layer, q: q, multipliers: params.outputMultipliers, bytes: &bytes)
      let dims =
        LayerSource.dims(p + "_input_dims", [1, 1, 1, cIn])
        + LayerSource.dims(p + "_filter_dims", [node.outputElements, 1, 1, cIn])
      guard layer.kernel.isSpecialized else {
        declarations += LayerSource.fcParams(p + "_params", params) + dims
        args = [
          "&\(p)_params", "&\(p)_quant", "&\(p)_input_dims", input, "&\(p)_filter_dims",
          "\(p)_weights", "\(p)_bias", output,
        ]
        return
      }
      // The specialization is the pointwise template on one pixel: conv parameters, no filter
      // offset (Lowering checked it is zero).
      declarations += LayerSource.convParams(
        p + "_params",
        ConvParams(
          strideH: 1, strideW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0,
          inputOffset: params.inputOffset, outputOffset: params.outputOffset,
          outputMultipliers: params.outputMultipliers, activationMin: params.activationMin,
          activationMax: params.activationMax, roundingMode: params.roundingMode))
      declarations += dims + LayerSource.dims(p + "_output_dims", [1, 1, 1, node.outputElements])
      args = [
        "&\(p)_params", "&\(p)_quant", "&\(p)_input_dims", input, "&\(p)_filter_dims",
        "\(p)_weights", "\(p)_bias", "&\(p)_output_dims", output,
      ]
      if layer.kernel.scratchArgument {
        args.append(LayerSource.arena(layer.scratch?.offset ?? 0))
      }
    }

    mutating func add() {
      let params = LayerSource.checked { try q.addParams(ofNode: layer.index) }
      declarations += LayerSource.addParams(p + "_params", params)
      args = [
        "&\(p)_params", input, LayerSource.arena(layer.inputOffsets[1]),
        "\(node.outputElements)", output,
      ]
    }

    mutating func pool() {
      let params = LayerSource.checked { try q.poolParams(ofNode: layer.index) }
      declarations += LayerSource.poolParams(p + "_params", params)
      declarations += LayerSource.dims(p + "_input_dims", dims(ofNode: node.inputs[0]))
      declarations += LayerSource.dims(p + "_output_dims", dims(ofNode: layer.index))
      args = ["&\(p)_params", "&\(p)_input_dims", input, "&\(p)_output_dims", output]
    }

    /// The global average pool keeps the format's full clamp (as the interpreter does).
    mutating func globalPool() {
      declarations += LayerSource.dims(p + "_input_dims", dims(ofNode: node.inputs[0]))
      let range = q.bitWidth.activationRange
      args = [
        "&\(p)_input_dims", input, "\(range.lowerBound)", "\(range.upperBound)", output,
      ]
    }
  }

  /// `arena + <offset>`.
  static func arena(_ offset: Int) -> String { "arena + \(offset)" }

  /// Parameters were validated by `QuantizationCheck` during lowering; failing here is a bug.
  static func checked<T>(_ body: () throws -> T) -> T {
    do {
      return try body()
    } catch {
      preconditionFailure("parameters validated at lowering failed again: \(error)")
    }
  }

  static func headline(_ layer: LoweredLayer, node: Node) -> String {
    let placement = layer.inPlace ? "in place" : "-> arena + \(layer.outputOffset)"
    var text =
      "Layer \(layer.index): \(node.name) (\(describe(node.op))), "
      + "\(node.outputShape) \(placement)\n"
    text += "Kernel \(layer.kernel.symbol)" + (layer.kernel.foldsBias ? ", bias folded" : "")
    if let scratch = layer.scratch {
      text += "; scratch arena + \(scratch.offset) (\(scratch.bytes) bytes)"
    }
    return text + "."
  }

  private static func describe(_ op: Op) -> String {
    switch op {
    case .conv2d(let a):
      return "\(op.kindName) \(a.kernelH)x\(a.kernelW) s\(a.stride) \(a.activation.rawValue)"
    case .depthwiseConv2d(let a):
      return "depthwise \(a.kernelH)x\(a.kernelW) s\(a.stride) \(a.activation.rawValue)"
    case .linear(let a): return "linear \(a.activation.rawValue)"
    case .add(let a): return "add \(a.rawValue)"
    default: return op.kindName
    }
  }

  // MARK: - Constant data

  static func weightArrays(
    _ layer: LoweredLayer, q: QuantizedGraph, multipliers: [FixedPointMultiplier],
    bytes: inout Int
  ) -> String {
    let p = layer.ident
    var weights = q.layers[layer.index].weights
    if layer.kernel.isSpecialized, layer.kernel.op == .conv2d, !layer.bias.isEmpty {
      // Each output channel's taps padded with zeros to the kernel's window (paddedWindow).
      let taps = weights.count / layer.bias.count
      let padded = KernelSpec.paddedWindow(taps)
      weights = stride(from: 0, to: weights.count, by: taps).flatMap {
        weights[$0..<$0 + taps] + [Int8](repeating: 0, count: padded - taps)
      }
    }
    let weightArray: String
    if q.bitWidth == .int4 {
      // Packed two per byte, low nibble first (Int4.swift); validated at lowering.
      let packed = checked { try PackedInt4(packing: weights) }.bytes
      bytes += packed.count + 12 * layer.bias.count
      weightArray = CText.array("uint8_t", p + "_weights", packed)
    } else {
      bytes += weights.count + 12 * layer.bias.count
      weightArray = CText.array("int8_t", p + "_weights", weights)
    }
    return weightArray
      + CText.array("int32_t", p + "_bias", layer.bias)
      + CText.array("int32_t", p + "_multiplier", multipliers.map(\.multiplier))
      + CText.array("int32_t", p + "_shift", multipliers.map { Int32($0.shift) })
      + wrapInitializer(
        "static const mcu_per_channel_quant \(p)_quant = {", ["\(p)_multiplier", "\(p)_shift"])
  }

  static func dims(_ name: String, _ d: [Int]) -> String {
    "static const mcu_dims \(name) = {" + d.map(String.init).joined(separator: ", ") + "};\n"
  }

  static func rounding(_ mode: RoundingMode) -> String {
    mode == .doubleRounding ? "MCU_DOUBLE_ROUNDING" : "MCU_SINGLE_ROUNDING"
  }

  /// `static const <type> <name> = {.field = value, …};` wrapped at `CText.columns`.
  private static func initializer(_ type: String, _ name: String, _ fields: [(String, String)])
    -> String
  {
    wrapInitializer("static const \(type) \(name) = {", fields.map { ".\($0.0) = \($0.1)" })
  }

  /// `head item, item, …};` on one line, or wrapped with 4-space continuation lines.
  private static func wrapInitializer(_ head: String, _ items: [String]) -> String {
    let single = head + items.joined(separator: ", ") + "};"
    if single.utf8.count <= CText.columns { return single + "\n" }
    var out = head + "\n"
    var line = "   "
    for (k, item) in items.enumerated() {
      let text = " " + item + (k + 1 < items.count ? "," : "};")
      if line.utf8.count > 3 && line.utf8.count + text.utf8.count > CText.columns {
        out += line + "\n"
        line = "   "
      }
      line += text
    }
    return out + line + "\n"
  }

  static func convParams(_ name: String, _ p: ConvParams) -> String {
    initializer(
      "mcu_conv_params", name,
      [
        ("input_offset", "\(p.inputOffset)"), ("output_offset", "\(p.outputOffset)"),
        ("stride_h", "\(p.strideH)"), ("stride_w", "\(p.strideW)"),
        ("pad_top", "\(p.padTop)"), ("pad_left", "\(p.padLeft)"),
        ("pad_bottom", "\(p.padBottom)"), ("pad_right", "\(p.padRight)"),
        ("activation_min", "\(p.activationMin)"), ("activation_max", "\(p.activationMax)"),
        ("rounding", rounding(p.roundingMode)),
      ])
  }

  static func fcParams(_ name: String, _ p: FullyConnectedParams) -> String {
    initializer(
      "mcu_fc_params", name,
      [
        ("input_offset", "\(p.inputOffset)"), ("filter_offset", "\(p.filterOffset)"),
        ("output_offset", "\(p.outputOffset)"), ("activation_min", "\(p.activationMin)"),
        ("activation_max", "\(p.activationMax)"), ("rounding", rounding(p.roundingMode)),
      ])
  }

  static func addParams(_ name: String, _ p: AddParams) -> String {
    initializer(
      "mcu_add_params", name,
      [
        ("input1_offset", "\(p.input1Offset)"), ("input2_offset", "\(p.input2Offset)"),
        ("output_offset", "\(p.outputOffset)"), ("left_shift", "\(p.leftShift)"),
        ("input1_multiplier", "\(p.input1Multiplier.multiplier)"),
        ("input1_shift", "\(p.input1Multiplier.shift)"),
        ("input2_multiplier", "\(p.input2Multiplier.multiplier)"),
        ("input2_shift", "\(p.input2Multiplier.shift)"),
        ("output_multiplier", "\(p.outputMultiplier.multiplier)"),
        ("output_shift", "\(p.outputMultiplier.shift)"),
        ("activation_min", "\(p.activationMin)"), ("activation_max", "\(p.activationMax)"),
        ("rounding", rounding(p.roundingMode)),
      ])
  }

  static func poolParams(_ name: String, _ p: PoolParams) -> String {
    initializer(
      "mcu_pool_params", name,
      [
        ("filter_h", "\(p.filterH)"), ("filter_w", "\(p.filterW)"),
        ("stride_h", "\(p.strideH)"), ("stride_w", "\(p.strideW)"),
        ("pad_top", "\(p.padTop)"), ("pad_left", "\(p.padLeft)"),
        ("pad_bottom", "\(p.padBottom)"), ("pad_right", "\(p.padRight)"),
        ("activation_min", "\(p.activationMin)"), ("activation_max", "\(p.activationMax)"),
      ])
  }
}
