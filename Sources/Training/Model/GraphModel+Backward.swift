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
    buffers.zeroGradient(of: last)
    guard let slot = buffers.gradientSlot[last] else { preconditionFailure("output has no slot") }
    let logits = buffers.outputs[last]
    let value = loss.forwardBackward(
      logits: logits, labels: labels, dLogits: &buffers.gradients[slot])
    let correct = loss.correctCount(logits: logits, labels: labels)
    for j in stride(from: last, through: 1, by: -1) {
      backwardNode(j)
    }
    return StepResult(loss: value, correct: correct, count: labels.count)
  }

  private mutating func backwardNode(_ j: Int) {
    let layer = layers[j]
    guard let slot = buffers.gradientSlot[j] else { return }
    for i in layer.inputs where buffers.firstGradientWriter[i] == j {
      buffers.zeroGradient(of: i)
    }
    var dA = [Float]()
    var scratchA = [Float]()
    var scratchB = [Float]()
    swap(&dA, &buffers.gradients[slot])
    swap(&scratchA, &buffers.scratchA)
    swap(&scratchB, &buffers.scratchB)
    defer {
      swap(&dA, &buffers.gradients[slot])
      swap(&scratchA, &buffers.scratchA)
      swap(&scratchB, &buffers.scratchB)
    }
    // Through the activation: dPre = dA · act′(y); after a batch norm, its backward applies
    // act′ itself while it reads dA (one pass less over the gradient).
    let gateInNorm = layer.norm != nil && layer.activation != .none
    if layer.activation != .none && !gateInNorm {
      ActivationFunction.backward(
        layer.activation, dOutput: dA, output: buffers.outputs[j], into: &scratchA)
    }
    let dPre = layer.activation == .none || gateInNorm ? dA : scratchA
    switch layer.kind {
    case .input:
      return
    case .conv, .depthwise:
      var dZ = dPre
      if let norm = layer.norm {
        normalizeBackward(
          norm, node: j, activation: layer.activation, dOutput: dPre, into: &scratchB)
        dZ = scratchB
      }
      convolutionBackward(layer, dOutput: dZ)
    case .add:
      for i in layer.inputs {
        guard let s = buffers.gradientSlot[i] else { continue }
        ActivationFunction.accumulate(dPre, into: &buffers.gradients[s])
      }
    case .avgPool(let op):
      guard let s = buffers.gradientSlot[layer.inputs[0]] else { return }
      op.backward(dOutput: dPre, accumulatingInto: &buffers.gradients[s])
    case .maxPool(let op):
      guard let s = buffers.gradientSlot[layer.inputs[0]] else { return }
      op.backward(
        input: buffers.outputs[layer.inputs[0]], dOutput: dPre,
        accumulatingInto: &buffers.gradients[s])
    case .globalAvgPool(let op):
      guard let s = buffers.gradientSlot[layer.inputs[0]] else { return }
      op.backward(dOutput: dPre, accumulatingInto: &buffers.gradients[s])
    case .linear(let op, let dropout):
      linearBackward(layer, node: j, op: op, dropout: dropout, dOutput: dPre, scratch: &scratchB)
    }
  }

  /// Batch-norm backward of node `j` into `dInput` (overwritten, so not zeroed first); adds dγ
  /// and dβ. `dOutput` is the gradient of the node's output, after its activation: the
  /// activation's gradient is applied inside the batch norm's backward.
  private mutating func normalizeBackward(
    _ norm: NormLayer, node j: Int, activation: Activation, dOutput: [Float],
    into dInput: inout [Float]
  ) {
    ModelBuffers.setCount(&dInput, dOutput.count)
    var dGamma = [Float]()
    var dBeta = [Float]()
    swap(&dGamma, &parameters[norm.gamma].gradient)
    swap(&dBeta, &parameters[norm.beta].gradient)
    norm.op.backward(
      dOutput: dOutput, input: buffers.preNorm[j], gamma: parameters[norm.gamma].value,
      saved: buffers.saved[norm.statistics], into: &dInput, accumulating: false,
      dGamma: &dGamma, dBeta: &dBeta,
      gate: ActivationFunction.clamp(activation).map {
        BatchNorm.Gate(output: buffers.outputs[j], open: $0)
      })
    swap(&dGamma, &parameters[norm.gamma].gradient)
    swap(&dBeta, &parameters[norm.beta].gradient)
  }

  /// Conv/depthwise backward given the gradient of the convolution's output (before BN).
  private mutating func convolutionBackward(_ layer: Layer, dOutput dZ: [Float]) {
    guard let w = layer.weight else { preconditionFailure("convolution without weight") }
    let input = layer.inputs[0]
    let x = buffers.outputs[input]
    if let b = layer.bias {
      Dense.backwardBias(
        dy: dZ, db: &parameters[b].gradient, m: dZ.count / parameters[b].value.count,
        n: parameters[b].value.count)
    }
    let dInputSlot = buffers.gradientSlot[input]
    switch layer.kind {
    case .conv(let op):
      op.backwardWeight(
        dOutput: dZ, input: x, accumulatingInto: &parameters[w].gradient,
        workspace: &buffers.workspace)
      if let s = dInputSlot {
        op.backwardInput(
          dOutput: dZ, weight: parameters[w].value, accumulatingInto: &buffers.gradients[s],
          workspace: &buffers.workspace)
      }
    case .depthwise(let op):
      op.backwardWeight(dOutput: dZ, input: x, accumulatingInto: &parameters[w].gradient)
      if let s = dInputSlot {
        op.backwardInput(
          dOutput: dZ, weight: parameters[w].value, accumulatingInto: &buffers.gradients[s])
      }
    default:
      preconditionFailure("not a convolution")
    }
  }

  /// Linear backward (with the dropout on its input, if any); `scratch` holds dDropped.
  private mutating func linearBackward(
    _ layer: Layer, node j: Int, op: Linear, dropout: Dropout?, dOutput: [Float],
    scratch: inout [Float]
  ) {
    guard let w = layer.weight else { preconditionFailure("linear without weight") }
    let input = layer.inputs[0]
    let x = dropout == nil ? buffers.outputs[input] : buffers.dropped[j]
    if let b = layer.bias {
      op.backwardBias(dOutput: dOutput, accumulatingInto: &parameters[b].gradient)
    }
    op.backwardWeight(dOutput: dOutput, input: x, accumulatingInto: &parameters[w].gradient)
    guard let s = buffers.gradientSlot[input] else { return }
    guard let dropout else {
      op.backwardInput(
        dOutput: dOutput, weight: parameters[w].value, accumulatingInto: &buffers.gradients[s])
      return
    }
    ModelBuffers.setZeros(&scratch, x.count)
    op.backwardInput(dOutput: dOutput, weight: parameters[w].value, accumulatingInto: &scratch)
    dropout.backward(
      dOutput: scratch, mask: buffers.masks[j], accumulatingInto: &buffers.gradients[s])
  }
}

extension ActivationFunction {
  /// dst += src element-wise.
  static func accumulate(_ src: [Float], into dst: inout [Float]) {
    precondition(src.count == dst.count, "gradient sizes \(src.count) and \(dst.count) differ")
    src.withUnsafeBufferPointer { s in
      dst.withUnsafeMutableBufferPointer { d in
        for i in 0..<d.count { d[i] += s[i] }
      }
    }
  }
}
