// TinyModelTrainingTests.swift
// End to end: conv3×3 → batch norm → ReLU6 → global average pool → linear, trained with SGD and
// the cosine schedule on 8 random 8×8×3 images with 4 random-looking classes, must memorize
// them. The model below also shows how a graph-built `Model` drives the buffer API: every
// activation and gradient buffer is allocated once and reused at every step.

import TensorModule
import Testing
import Training
import _TestSupport

/// A five-op model with preallocated buffers (forward and backward in one `step`).
private struct TinyModel {
  static let (batch, side, cIn, width, classes) = (8, 8, 3, 16, 4)

  let conv = Conv2D(
    inputHeight: side, inputWidth: side, inChannels: cIn, outChannels: width, kernel: 3,
    padding: .symmetric(1))
  let bn = BatchNorm(channels: width)
  let act = ReLU6()
  let gap = GlobalAvgPool(height: side, width: side, channels: width)
  let fc = Linear(inFeatures: width, outFeatures: classes)
  let loss = SoftmaxCrossEntropy(classes: classes)

  /// conv weight, bn γ, bn β, fc weight, fc bias.
  var parameters: [Parameter]
  var running = BatchNorm.RunningStatistics(channels: width)
  var saved = BatchNorm.SavedStatistics(channels: width)
  // Activations (forward) and their gradients (backward), allocated once.
  var convOut: [Float], bnOut: [Float], pooled: [Float], logits: [Float], workspace: [Float]
  var dConvOut: [Float], dBnOut: [Float], dPooled: [Float], dLogits: [Float]

  init(using rng: inout SeededGenerator) {
    let convBound = (6.0 / Double(9 * Self.cIn)).squareRoot()  // He-uniform for ReLU-like
    let fcBound = 1 / Double(Self.width).squareRoot()
    let uniform = { (n: Int, b: Double, rng: inout SeededGenerator) in
      randomValues(n, in: -b...b, using: &rng).floats
    }
    parameters = [
      Parameter(
        name: "conv.weight", role: .weight, shape: conv.weightShape,
        value: uniform(conv.weightShape.count, convBound, &rng)),
      Parameter(
        name: "bn.gamma", role: .normScale, shape: [Self.width],
        value: .init(repeating: 1, count: Self.width)),
      Parameter(
        name: "bn.beta", role: .normShift, shape: [Self.width],
        value: .init(repeating: 0, count: Self.width)),
      Parameter(
        name: "fc.weight", role: .weight, shape: fc.weightShape,
        value: uniform(fc.weightShape.count, fcBound, &rng)),
      Parameter(
        name: "fc.bias", role: .bias, shape: [Self.classes],
        value: .init(repeating: 0, count: Self.classes)),
    ]
    let activation = conv.outputShape(batch: Self.batch).count
    convOut = .init(repeating: 0, count: activation)
    bnOut = convOut
    dConvOut = convOut
    dBnOut = convOut
    pooled = .init(repeating: 0, count: Self.batch * Self.width)
    dPooled = pooled
    logits = .init(repeating: 0, count: Self.batch * Self.classes)
    dLogits = logits
    workspace = .init(repeating: 0, count: conv.workspaceCount(batch: Self.batch))
  }

  /// One forward and backward pass in training mode; fills the parameter gradients and
  /// returns the loss and the number of correct top-1 predictions.
  mutating func forwardBackward(_ images: [Float], labels: [Int]) -> (loss: Float, correct: Int) {
    for i in parameters.indices { parameters[i].zeroGradient() }
    conv.forward(
      images, weight: parameters[0].value, bias: nil, into: &convOut, workspace: &workspace)
    bn.forwardTraining(
      convOut, gamma: parameters[1].value, beta: parameters[2].value, into: &bnOut,
      saved: &saved, running: &running)
    act.forwardInPlace(&bnOut)
    gap.forward(bnOut, into: &pooled)
    fc.forward(pooled, weight: parameters[3].value, bias: parameters[4].value, into: &logits)
    let value = loss.forwardBackward(logits: logits, labels: labels, dLogits: &dLogits)
    let correct = loss.correctCount(logits: logits, labels: labels)

    zero(&dPooled)
    fc.backwardWeight(dOutput: dLogits, input: pooled, accumulatingInto: &parameters[3].gradient)
    fc.backwardBias(dOutput: dLogits, accumulatingInto: &parameters[4].gradient)
    fc.backwardInput(dOutput: dLogits, weight: parameters[3].value, accumulatingInto: &dPooled)
    zero(&dBnOut)
    gap.backward(dOutput: dPooled, accumulatingInto: &dBnOut)
    zero(&dConvOut)
    act.backward(dOutput: dBnOut, output: bnOut, accumulatingInto: &dConvOut)
    // γ and β gradients are two elements of one array: take them out for the two inout
    // arguments (swap moves the buffers, no copy).
    var (dGamma, dBeta) = ([Float](), [Float]())
    swap(&dGamma, &parameters[1].gradient)
    swap(&dBeta, &parameters[2].gradient)
    zero(&dBnOut)
    bn.backward(
      dOutput: dConvOut, input: convOut, gamma: parameters[1].value, saved: saved,
      accumulatingInto: &dBnOut, dGamma: &dGamma, dBeta: &dBeta)
    swap(&dGamma, &parameters[1].gradient)
    swap(&dBeta, &parameters[2].gradient)
    conv.backwardWeight(
      dOutput: dBnOut, input: images, accumulatingInto: &parameters[0].gradient,
      workspace: &workspace)
    return (value, correct)
  }
}

private func zero(_ buffer: inout [Float]) {
  for i in buffer.indices { buffer[i] = 0 }
}

@Suite struct TinyModelTrainingTests {
  @Test func sgdWithCosineScheduleMemorizesEightImages() {
    var rng = SeededGenerator(seed: 2020)
    let images = randomValues(
      TinyModel.batch * TinyModel.side * TinyModel.side * TinyModel.cIn, using: &rng
    ).floats
    let labels = [2, 0, 3, 1, 1, 3, 0, 2]
    var model = TinyModel(using: &rng)
    var sgd = SGD(configuration: .paper)
    let schedule = CosineSchedule(baseLearningRate: 0.2, warmupSteps: 5, totalSteps: 150)
    var first: Float = 0
    var last: (loss: Float, correct: Int) = (0, 0)
    for step in 0..<schedule.totalSteps {
      last = model.forwardBackward(images, labels: labels)
      if step == 0 { first = last.loss }
      sgd.step(&model.parameters, learningRate: schedule.learningRate(step: step))
    }
    last = model.forwardBackward(images, labels: labels)
    #expect(first > 1.2, "an untrained 4-class model starts near ln 4 = 1.386, got \(first)")
    #expect(last.loss < 0.1 * first, "loss \(first) → \(last.loss)")
    #expect(last.correct == TinyModel.batch)
  }
}
