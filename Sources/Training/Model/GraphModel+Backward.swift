// GraphModel+Backward.swift
// The backward pass of a GraphModel: softmax cross-entropy at the output, then every node in
// reverse graph order. Each node reads its output gradient from its slot, pushes it through its
// activation and batch norm into two scratch buffers, adds its parameter gradients and
// *accumulates* its input gradients into the input nodes' slots, so a tensor read by two
// consumers (the residual fan-out) receives both contributions. A slot is zeroed right before
// its first writer runs (ModelBuffers.swift explains the slot sharing).

import ModelIR
import TensorModule

/// Loss and top-1 hits of one batch.
public struct StepResult: Sendable, Hashable {
  /// Mean loss over the batch.
  public var loss: Float
  /// Samples whose top-1 prediction equals the label.
  public var correct: Int
  /// Samples in the batch.
  public var count: Int
}

extension GraphModel {
  /// A training-mode forward pass and the backward pass of `loss` on one batch; fills every
  /// parameter gradient (overwriting them unless `accumulatingGradients`).
  public mutating func forwardBackward(
    images: [Float], labels: [Int], loss: SoftmaxCrossEntropy,
    using generator: inout some RandomNumberGenerator, accumulatingGradients: Bool = false
  ) -> StepResult {
    forward(images, pass: .training, using: &generator)
    return backward(labels: labels, loss: loss, accumulatingGradients: accumulatingGradients)
  }

  /// The backward pass after a training-mode `forward`: the loss of the current logits against
  /// `labels`, then every parameter gradient (overwritten unless `accumulatingGradients`).
  public mutating func backward(
    labels: [Int], loss: SoftmaxCrossEntropy, accumulatingGradients: Bool = false
  ) -> StepResult {
    let last = layers.count - 1
    precondition(
      labels.count == buffers.batch, "\(labels.count) labels for a batch of \(buffers.batch)")
    precondition(
      loss.classes == classCount, "loss has \(loss.classes) classes, model \(classCount)")
    if !accumulatingGradients { zeroGradients() }
    let logits = buffers.outputs[last]
    var dLogits = [Float](repeating: 0, count: logits.count)
    let value = loss.forwardBackward(logits: logits, labels: labels, dLogits: &dLogits)
    buffers.setGradient(of: last, dLogits)
    let correct = loss.correctCount(logits: logits, labels: labels)
    for j in stride(from: last, through: 1, by: -1) {
      backwardNode(j)
    }
    return StepResult(loss: value, correct: correct, count: labels.count)
  }

  private mutating func backwardNode(_ j: Int) {
    guard buffers.gradientSlot[j] != nil else { return }
    switch layers[j].kind {
    case .input:
      return
    case .conv, .depthwise:
      convolutionBackward(j)
    case .add:
      addBackward(j)
    case .avgPool, .maxPool, .globalAvgPool, .linear:
      arrayBackward(j)
    }
  }

  /// Whether node j writes input `i` (its `position`-th input) first and can overwrite it
  /// instead of zeroing it and adding.
  private func overwrites(_ j: Int, input i: Int, position: Int) -> Bool {
    buffers.firstGradientWriter[i] == j && layers[j].inputs.firstIndex(of: i) == position
  }

  /// Conv/depthwise backward on raw buffers, through the activation and batch norm. The
  /// activation's gate is recomputed inside the batch norm's backward from the saved
  /// pre-norm values (`BatchNorm.GateSource.recomputed`); a tiled conv takes the batch norm's
  /// dInput rows tile by tile (`Conv2D.backwardTiles`), so that gradient is never stored.
  /// The input's gradient is overwritten when this node writes it first.
  private mutating func convolutionBackward(_ j: Int) {
    let layer = layers[j]
    guard let w = layer.weight, let slot = buffers.gradientSlot[j] else {
      preconditionFailure("convolution without weight or gradient")
    }
    let input = layer.inputs[0]
    let n = buffers.batch
    let count = buffers.gradientCount(of: j)
    let channels =
      switch layer.kind {
      case .conv(let op): op.outChannels
      case .depthwise(let op): op.channels
      default: preconditionFailure("not a convolution")
      }
    let rows = count / channels
    let inputSlot = buffers.gradientSlot[input]
    let overwrite = inputSlot != nil && overwrites(j, input: input, position: 0)
    var taken = TakenBuffers(&buffers, dOutput: slot, dInput: inputSlot)
    defer { taken.restore(&buffers) }
    var dWeight = [Float]()
    swap(&dWeight, &parameters[w].gradient)
    defer { swap(&dWeight, &parameters[w].gradient) }
    let (x, y, z) = (buffers.outputs[input], buffers.outputs[j], buffers.preNorm[j])
    let weight = parameters[w].value
    taken.withPointers { dA, dX, scratchA, scratchB, workspace in
      x.withUnsafeBufferPointer { xb in
        z.withUnsafeBufferPointer { zb in
          guard let xp = xb.baseAddress else { return }
          var dz = UnsafePointer(dA)
          var source: ((Int, Int, UnsafeMutablePointer<Float>) -> Void)?
          var materialize: (() -> Void)?
          if let norm = layer.norm, let zp = zb.baseAddress {
            let gate: BatchNorm.GateSource =
              ActivationFunction.clamp(layer.activation).map { .recomputed(open: $0) } ?? .none
            let plan = normalizeBackwardPlan(norm, dA: dA, z: zp, rows: rows, gate: gate)
            if layer.bias == nil {
              // dz rows on demand, inside the convolution's own loops.
              source = { count, first, dst in
                let offset = first * channels
                plan.apply(count, dA + offset, zp + offset, zp + offset, into: dst)
              }
              materialize = { plan.run(dA, zp, zp, into: scratchB) }
            } else {
              plan.run(dA, zp, zp, into: scratchB)
              dz = UnsafePointer(scratchB)
            }
          } else if layer.activation != .none {
            ActivationFunction.backward(
              layer.activation, dOutput: dA, output: y, into: scratchA, count: count)
            dz = UnsafePointer(scratchA)
          }
          if let b = layer.bias {
            Dense.backwardBias(dy: dz, db: &parameters[b].gradient, m: rows, n: channels)
          }
          switch layer.kind {
          case .conv(let op):
            if let source,
              op.backwardTiles(
                dOutput: .map(source), input: xp, weight: weight, dWeight: &dWeight,
                dInput: dX, accumulate: !overwrite, batch: n, workspace: workspace)
            {
              return
            }
            if let materialize {
              // Not tiled: dz in full first.
              materialize()
              dz = UnsafePointer(scratchB)
            }
            op.backwardWeight(
              dOutput: dz, input: xp, accumulatingInto: &dWeight, batch: n, workspace: workspace)
            if let dX {
              op.backwardInput(
                dOutput: dz, weight: weight, into: dX, accumulate: !overwrite, batch: n,
                workspace: workspace)
            }
          case .depthwise(let op):
            op.backward(
              dOutput: source.map { .map($0) } ?? .rows(dz), input: xp, weight: weight,
              dWeight: &dWeight, dInput: dX, accumulate: !overwrite, batch: n)
          default:
            preconditionFailure("not a convolution")
          }
        }
      }
    }
  }

  /// The first half of batch norm's backward for node j: dγ and dβ added, and the map from
  /// (dA, z) rows to dz rows.
  private mutating func normalizeBackwardPlan(
    _ norm: NormLayer, dA: UnsafeMutablePointer<Float>, z zp: UnsafePointer<Float>, rows: Int,
    gate: BatchNorm.GateSource
  ) -> ChannelAffine {
    var dGamma = [Float]()
    var dBeta = [Float]()
    swap(&dGamma, &parameters[norm.gamma].gradient)
    swap(&dBeta, &parameters[norm.beta].gradient)
    defer {
      swap(&dGamma, &parameters[norm.gamma].gradient)
      swap(&dBeta, &parameters[norm.beta].gradient)
    }
    return norm.op.backwardPlan(
      dOutput: dA, input: zp, rows: rows, gamma: parameters[norm.gamma].value,
      saved: buffers.saved[norm.statistics], gate: gate, accumulating: false, dGamma: &dGamma,
      dBeta: &dBeta)
  }

  /// Residual add: the gradient (through the add's activation, if any) goes to both inputs,
  /// copied into an input this node writes first, added to the others.
  private mutating func addBackward(_ j: Int) {
    let layer = layers[j]
    guard let slot = buffers.gradientSlot[j] else { return }
    let count = buffers.gradientCount(of: j)
    var dA = [Float]()
    var scratchA = [Float]()
    swap(&dA, &buffers.gradients[slot])
    swap(&scratchA, &buffers.scratchA)
    defer {
      swap(&dA, &buffers.gradients[slot])
      swap(&scratchA, &buffers.scratchA)
    }
    let y = buffers.outputs[j]
    dA.withUnsafeBufferPointer { dAb in
      scratchA.withUnsafeMutableBufferPointer { sb in
        guard var dPre = dAb.baseAddress, let scratch = sb.baseAddress else { return }
        if layer.activation != .none {
          ActivationFunction.backward(
            layer.activation, dOutput: dPre, output: y, into: scratch, count: count)
          dPre = UnsafePointer(scratch)
        }
        for (position, i) in layer.inputs.enumerated() {
          guard let s = buffers.gradientSlot[i] else { continue }
          let overwrite = overwrites(j, input: i, position: position)
          buffers.gradients[s].withUnsafeMutableBufferPointer { db in
            guard let d = db.baseAddress else { return }
            if overwrite {
              d.update(from: dPre, count: count)
            } else {
              for e in 0..<count { d[e] += dPre[e] }
            }
          }
        }
      }
    }
  }

  /// Pools and the classifier, through their array interfaces on exact-size copies of the
  /// gradients (small tensors: after global pooling, or rare pools).
  private mutating func arrayBackward(_ j: Int) {
    let layer = layers[j]
    for i in layer.inputs where buffers.firstGradientWriter[i] == j {
      buffers.zeroGradient(of: i)
    }
    let dA = buffers.gradientArray(of: j)
    var dPre = dA
    if layer.activation != .none {
      ActivationFunction.backward(
        layer.activation, dOutput: dA, output: buffers.outputs[j], into: &dPre)
    }
    let input = layer.inputs[0]
    guard buffers.gradientSlot[input] != nil || layer.weight != nil else { return }
    var dX = buffers.gradientSlot[input] == nil ? [] : buffers.gradientArray(of: input)
    switch layer.kind {
    case .avgPool(let op):
      op.backward(dOutput: dPre, accumulatingInto: &dX)
    case .maxPool(let op):
      op.backward(input: buffers.outputs[input], dOutput: dPre, accumulatingInto: &dX)
    case .globalAvgPool(let op):
      op.backward(dOutput: dPre, accumulatingInto: &dX)
    case .linear(let op, let dropout):
      linearBackward(layer, node: j, op: op, dropout: dropout, dOutput: dPre, dInput: &dX)
    default:
      preconditionFailure("not an array-interface op")
    }
    if buffers.gradientSlot[input] != nil { buffers.setGradient(of: input, dX) }
  }

  /// Linear backward (with the dropout on its input, if any) into `dInput` (empty when the
  /// input needs no gradient).
  private mutating func linearBackward(
    _ layer: Layer, node j: Int, op: Linear, dropout: Dropout?, dOutput: [Float],
    dInput: inout [Float]
  ) {
    guard let w = layer.weight else { preconditionFailure("linear without weight") }
    let input = layer.inputs[0]
    let x = dropout == nil ? buffers.outputs[input] : buffers.dropped[j]
    if let b = layer.bias {
      op.backwardBias(dOutput: dOutput, accumulatingInto: &parameters[b].gradient)
    }
    op.backwardWeight(dOutput: dOutput, input: x, accumulatingInto: &parameters[w].gradient)
    guard !dInput.isEmpty else { return }
    guard let dropout else {
      op.backwardInput(dOutput: dOutput, weight: parameters[w].value, accumulatingInto: &dInput)
      return
    }
    var dropped = [Float](repeating: 0, count: x.count)
    op.backwardInput(dOutput: dOutput, weight: parameters[w].value, accumulatingInto: &dropped)
    dropout.backward(dOutput: dropped, mask: buffers.masks[j], accumulatingInto: &dInput)
  }
}

/// The mutable buffers one conv backward writes, moved out of `ModelBuffers` for the duration
/// (so that raw pointers into them can be held while `ModelBuffers` is read) and put back.
private struct TakenBuffers {
  let dOutputSlot: Int
  let dInputSlot: Int?
  var dOutput: [Float] = []
  var dInput: [Float] = []
  var scratchA: [Float] = []
  var scratchB: [Float] = []
  var workspace: [Float] = []

  init(_ buffers: inout ModelBuffers, dOutput: Int, dInput: Int?) {
    dOutputSlot = dOutput
    dInputSlot = dInput
    swap(&self.dOutput, &buffers.gradients[dOutput])
    if let dInput { swap(&self.dInput, &buffers.gradients[dInput]) }
    swap(&scratchA, &buffers.scratchA)
    swap(&scratchB, &buffers.scratchB)
    swap(&workspace, &buffers.workspace)
  }

  mutating func restore(_ buffers: inout ModelBuffers) {
    swap(&dOutput, &buffers.gradients[dOutputSlot])
    if let dInputSlot { swap(&dInput, &buffers.gradients[dInputSlot]) }
    swap(&scratchA, &buffers.scratchA)
    swap(&scratchB, &buffers.scratchB)
    swap(&workspace, &buffers.workspace)
  }

  /// Calls `body(dOutput, dInput, scratchA, scratchB, workspace)` with raw pointers (dInput
  /// nil without an input gradient).
  mutating func withPointers(
    _ body: (
      UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>,
      UnsafeMutablePointer<Float>, UnsafeMutableBufferPointer<Float>
    ) -> Void
  ) {
    let hasInput = dInputSlot != nil
    dOutput.withUnsafeMutableBufferPointer { a in
      dInput.withUnsafeMutableBufferPointer { b in
        scratchA.withUnsafeMutableBufferPointer { c in
          scratchB.withUnsafeMutableBufferPointer { d in
            workspace.withUnsafeMutableBufferPointer { ws in
              guard let a = a.baseAddress, let c = c.baseAddress, let d = d.baseAddress else {
                preconditionFailure("empty gradient buffers")
              }
              body(a, hasInput ? b.baseAddress : nil, c, d, ws)
            }
          }
        }
      }
    }
  }
}
