// TrainerTests.swift
// The training loop end to end: a tiny MobileNetV2-style net memorises a tiny batch; a run
// interrupted mid-epoch and resumed from its encoded checkpoint ends bit-identical to the
// uninterrupted run; damaged checkpoints are refused with a message saying what to do; BN
// recalibration re-estimates the running statistics from data alone.

import ModelIR
import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct TrainerTests {
  static let sample: Shape = [GraphFixtures.side, GraphFixtures.side, GraphFixtures.cIn]

  static func source(count: Int = 20, batch: Int = 6, split: Int = 0, shuffle: Bool = true)
    -> ArrayBatchSource
  {
    SyntheticClassification.source(
      sampleShape: sample, classes: GraphFixtures.classes, count: count, batchSize: batch,
      seed: 77, split: split, shuffle: shuffle)
  }

  static func trainer(epochs: Int = 3) throws -> Trainer {
    let model = try GraphModel(
      graph: GraphFixtures.residual(), configuration: .init(seed: 8), batchCapacity: 6)
    let config = TrainerConfiguration(
      epochs: epochs, learningRatePer256: 2, warmupEpochs: 1,
      optimizer: SGD.Configuration(nesterov: true), labelSmoothing: 0.1, seed: 21)
    return try Trainer(model: model, configuration: config, source: source())
  }

  /// conv → MBConv blocks with residuals → GAP → linear, trained in training mode on 8 random
  /// 32×32 images with 4 labels, must fit them all.
  /// Over several seeds (one seed's loss curve is chaotic at the rounding level: a single
  /// run near the threshold would flip on any change of summation order).
  @Test(arguments: [3, 4, 5] as [UInt64])
  func tinyMobileNetStyleNetMemorizesATinyBatch(seed: UInt64) throws {
    var model = try GraphModel(
      config: GraphFixtures.tinyMBNet(classes: 4), seed: seed, batchCapacity: 8)
    var rng = SeededGenerator(seed: 2020)
    let images = randomValues(8 * 32 * 32 * 3, using: &rng).floats
    let labels = [2, 0, 3, 1, 1, 3, 0, 2]
    let loss = SoftmaxCrossEntropy(classes: 4)
    let schedule = CosineSchedule(baseLearningRate: 0.1, warmupSteps: 3, totalSteps: 70)
    var velocities = model.parameters.map { [Float](repeating: 0, count: $0.value.count) }
    var first: StepResult?
    for step in 0..<schedule.totalSteps {
      let result = model.forwardBackward(images: images, labels: labels, loss: loss, using: &rng)
      if first == nil { first = result }
      for i in model.parameters.indices {
        SGD.update(
          &model.parameters[i].value, gradient: model.parameters[i].gradient,
          velocity: &velocities[i], learningRate: schedule.learningRate(step: step),
          momentum: 0.9, weightDecay: 0, nesterov: false)
      }
    }
    let last = model.forwardBackward(images: images, labels: labels, loss: loss, using: &rng)
    let start = try #require(first)
    #expect(start.loss > 1.0, "an untrained 4-class net starts near ln 4, got \(start.loss)")
    #expect(last.loss < 0.2 * start.loss, "loss \(start.loss) → \(last.loss)")
    #expect(last.correct == 8)
  }

  @Test func trainerLowersTheLossAndRecordsEveryEpoch() throws {
    var trainer = try Self.trainer(epochs: 4)
    var train = Self.source()
    var validation = Self.source(count: 12, split: 1, shuffle: false)
    var steps = 0
    var epochs: [EpochRecord] = []
    let finished = try trainer.run(train: &train, validation: &validation) { event in
      switch event {
      case .step(let p):
        steps += 1
        #expect(p.globalStep == steps && p.totalSteps == 16)
      case .epochEnd(let record): epochs.append(record)
      case .checkpoint: break
      }
    }
    #expect(finished && trainer.isFinished)
    #expect(steps == 4 * 4)
    #expect(epochs == trainer.state.history)
    #expect(epochs.map(\.epoch) == [0, 1, 2, 3])
    let losses = epochs.map(\.trainLoss)
    #expect(losses[3] < losses[0], "train loss \(losses)")
    #expect(epochs.allSatisfy { $0.validationTop1 != nil })
  }

  /// Stop after 5 steps (inside epoch 1 of 4-batch epochs), encode, decode, resume on a model
  /// initialised with another seed: weights, momentum, statistics and curves must equal the
  /// uninterrupted run's bit for bit.
  @Test func resumedRunIsBitIdenticalToUninterruptedRun() throws {
    var straight = try Self.trainer()
    var trainA = Self.source()
    var valA = Self.source(count: 12, split: 1, shuffle: false)
    try straight.run(train: &trainA, validation: &valA)

    var first = try Self.trainer()
    var trainB = Self.source()
    var valB = Self.source(count: 12, split: 1, shuffle: false)
    let done = try first.run(train: &trainB, validation: &valB, stopAtStep: 5)
    #expect(!done && first.state.globalStep == 5 && first.state.stepInEpoch == 1)
    let bytes = try first.checkpoint().encoded()

    let fresh = try GraphModel(
      graph: GraphFixtures.residual(), configuration: .init(seed: 999), batchCapacity: 1)
    var resumed = try Trainer(model: fresh, resuming: Checkpoint(decoding: bytes))
    var trainC = Self.source()
    var valC = Self.source(count: 12, split: 1, shuffle: false)
    try resumed.run(train: &trainC, validation: &valC)

    for ((name, a), (_, b)) in zip(
      straight.model.exportedTensors(), resumed.model.exportedTensors())
    {
      assertBitExact(a.storage.map(\.bitPattern), b.storage.map(\.bitPattern), name)
    }
    for (a, b) in zip(straight.velocities, resumed.velocities) {
      assertBitExact(a.map(\.bitPattern), b.map(\.bitPattern), "momentum")
    }
    #expect(straight.state.history.map(\.trainLoss) == resumed.state.history.map(\.trainLoss))
    #expect(
      straight.state.history.map(\.validationTop1) == resumed.state.history.map(\.validationTop1))
    #expect(resumed.state.globalStep == 12)
  }

  @Test func checkpointRoundTripsThroughBytes() throws {
    var trainer = try Self.trainer()
    var train = Self.source()
    try trainer.run(train: &train, stopAtStep: 3)
    let checkpoint = trainer.checkpoint()
    #expect(try Checkpoint(decoding: checkpoint.encoded()) == checkpoint)
    #expect(checkpoint.tensor(named: "stem.weight#momentum")?.shape == [4, 3, 3, 3])
  }

  @Test func damagedCheckpointsAreRefusedWithAHint() throws {
    let bytes = try Self.trainer().checkpoint().encoded()
    func message(_ bytes: [UInt8]) -> String {
      do {
        _ = try Checkpoint(decoding: bytes)
        return "decoded"
      } catch {
        return "\(error)"
      }
    }
    #expect(message(Array("not a checkpoint at all, no".utf8)).contains("magic 'MCUNCKPT'"))
    var version = bytes
    version[8] = 9
    #expect(
      message(version)
        == "checkpoint format version 9 is not supported (this build reads version 1); resume "
        + "it with the build that wrote it or restart the run")
    var flipped = bytes
    flipped[bytes.count / 2] ^= 1
    #expect(message(flipped).contains("checksum does not match"))
    #expect(message(Array(bytes.dropLast(12))).contains("checksum"))

    var other = try GraphModel(graph: GraphFixtures.tinyMBNet(classes: 3).makeGraph())
    other.zeroGradients()
    do {
      _ = try Trainer(model: other, resuming: Checkpoint(decoding: bytes))
      Issue.record("a checkpoint of another graph must be refused")
    } catch {
      #expect("\(error)".contains("does not belong to this run"))
    }
  }

  @Test func sourceOrderDependsOnlyOnSeedAndEpoch() throws {
    var a = Self.source()
    var b = Self.source()
    try a.startEpoch(2, skipping: 0)
    _ = try a.nextBatch()
    let second = try a.nextBatch()
    try b.startEpoch(2, skipping: 1)
    #expect(try b.nextBatch() == second)
    #expect(a.order(epoch: 0) != a.order(epoch: 1))
    #expect(Self.source(shuffle: false).order(epoch: 3) == Array(0..<20))
  }

  // MARK: - Batch-norm recalibration

  /// After recalibrating on one batch the running statistics are that batch's (biased)
  /// statistics, so inference on it reproduces training mode without dropout.
  @Test func recalibrationOnOneBatchMakesInferenceEqualTrainingMode() throws {
    var model = try GraphModel(
      graph: GraphFixtures.residual(dropout: 0), configuration: .init(seed: 4), batchCapacity: 6)
    var source = Self.source()
    try source.startEpoch(0, skipping: 0)
    let batch = try #require(try source.nextBatch())
    var rng = SeededGenerator(seed: 0)
    model.forward(batch.images, mode: .training, using: &rng)
    let training = model.logits
    #expect(model.predict(batch.images) != training, "default statistics differ from the batch's")
    model.recalibrateBatchNorm(images: [batch.images])
    assertClose(model.predict(batch.images), training, atol: 1e-5, rtol: 1e-4, "logits")
  }

  /// Recalibration forgets whatever statistics the model had and averages the batch statistics
  /// weighted by batch size; it leaves the parameters alone.
  @Test func recalibrationRestoresStatisticsFromDataAlone() throws {
    var model = try GraphModel(
      graph: GraphFixtures.residual(), configuration: .init(seed: 4), batchCapacity: 6)
    var source = Self.source()
    let parameters = model.parameters
    try model.recalibrateBatchNorm(&source, batches: 3)
    let expected = model.runningStatistics
    #expect(model.parameters == parameters)

    for s in model.runningStatistics.indices {
      model.runningStatistics[s].mean = model.runningStatistics[s].mean.map { $0 + 3 }
      model.runningStatistics[s].variance = model.runningStatistics[s].variance.map { $0 * 9 }
    }
    try model.recalibrateBatchNorm(&source, batches: 3)
    #expect(model.runningStatistics == expected)

    // Per-batch statistics, averaged by hand (every batch has 6 samples).
    try source.startEpoch(0, skipping: 0)
    var perBatch: [[BatchNorm.RunningStatistics]] = []
    for _ in 0..<3 {
      let batch = try #require(try source.nextBatch())
      model.recalibrateBatchNorm(images: [batch.images])
      perBatch.append(model.runningStatistics)
    }
    for s in expected.indices {
      let mean = (0..<expected[s].mean.count).map { c in
        perBatch.reduce(Float(0)) { $0 + $1[s].mean[c] } / 3
      }
      let variance = (0..<expected[s].mean.count).map { c in
        perBatch.reduce(Float(0)) { $0 + $1[s].variance[c] } / 3
      }
      assertClose(expected[s].mean, mean, atol: 1e-6, rtol: 1e-5, "mean of BN \(s)")
      assertClose(expected[s].variance, variance, atol: 1e-6, rtol: 1e-5, "variance of BN \(s)")
    }
  }
}
