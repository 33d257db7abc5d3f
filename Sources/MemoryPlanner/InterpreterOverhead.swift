import ModelIR

/// The persistent (non-planned) memory a TFLite-Micro-style interpreter keeps in its arena
/// besides the planned activations: per-channel requantization data and per-op bookkeeping.
///
/// Model (bytes): `8 · Σ cOut` over conv, depthwise and linear layers (an int32 multiplier and
/// an int32 shift per output channel, `OpDataConv::per_channel_output_multiplier/shift`)
/// `+ 221 · ops` (TfLiteEvalTensor, node and registration structs and op data per executed op,
/// PAD ops included) `+ 885` (interpreter, subgraph and allocator bookkeeping).
/// The per-op and fixed constants are a least-squares fit to TFLM's measured persistent arena
/// on the nine int8 zoo models built with `.strideTwoOnly` padding (x86-64, tflite-micro
/// 2026-10, anchors.md); residuals are below
/// 120 bytes on every model. The per-channel term is exact (a free fit returns 8.02).
public struct InterpreterOverheadModel: Hashable, Sendable {
  public var bytesPerOutputChannel: Int = 8
  public var bytesPerOp: Int = 221
  public var fixedBytes: Int = 885

  public init() {}

  /// Persistent bytes for `graph` executed with TFLite's op set (explicit PAD ops per `pad`,
  /// MEAN for the global pool, FULLY_CONNECTED).
  public func persistentBytes(_ graph: Graph, pad: ExplicitPadding) -> Int {
    var channels = 0
    var ops = 0
    for (i, node) in graph.nodes.enumerated() where i > 0 {
      ops += graph.explicitPadding(of: node.op, pad) == nil ? 1 : 2
      switch node.op {
      case .conv2d(let a):
        channels += a.outChannels
      case .depthwiseConv2d:
        channels += node.outputShape[3]
      case .linear(let a):
        channels += a.outFeatures
      case .input, .add, .avgPool, .maxPool, .globalAvgPool:
        break
      }
    }
    return bytesPerOutputChannel * channels + bytesPerOp * ops + fixedBytes
  }
}
