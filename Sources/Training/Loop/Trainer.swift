// Trainer.swift
// The training loop of MCUNet's recipe (paper_facts.md §4): SGD with momentum 0.9 (optionally
// Nesterov), weight decay 5e-5 on weights only, a cosine learning rate after a linear warm-up,
// 0.05 per 256 samples, optional label smoothing; one pass over the batch source per epoch,
// then validation. Deterministic given the seeds: the batch order comes from the source, and
// the dropout masks of global step t come from a generator derived from (seed, t), so the
// whole random state of a run is (seed, step) and a run resumed from a checkpoint reproduces
// the uninterrupted run bit for bit (Checkpoint.swift).
//
// Training does not print or write files (STYLE.md B2 rule 3): progress and checkpoints are
// handed to the caller's event closure, which Experiments turns into stderr lines and files.

import TensorModule

/// Hyper-parameters of a training run.
public struct TrainerConfiguration: Hashable, Sendable, Codable {
  public var epochs: Int
  /// Base learning rate per 256 samples (paper: 0.05), scaled linearly with the batch size.
  public var learningRatePer256: Float
  /// Linear warm-up length in epochs (0: none).
  public var warmupEpochs: Int
  /// Momentum, weight decay (not applied to biases and BN γ/β), Nesterov.
  public var optimizer: SGD.Configuration
  /// Label smoothing ε of the training loss (0: plain cross-entropy).
  public var labelSmoothing: Float
  /// Seed of the dropout masks (the initialisation seed is the model's, the order the source's).
  public var seed: UInt64
  /// Emit a checkpoint every this many optimizer steps (0: only at the end of each epoch).
  public var checkpointEverySteps: Int

  public init(
    epochs: Int, learningRatePer256: Float = 0.05, warmupEpochs: Int = 0,
    optimizer: SGD.Configuration = .paper, labelSmoothing: Float = 0, seed: UInt64 = 0,
    checkpointEverySteps: Int = 0
  ) {
    self.epochs = epochs
    self.learningRatePer256 = learningRatePer256
    self.warmupEpochs = warmupEpochs
    self.optimizer = optimizer
    self.labelSmoothing = labelSmoothing
    self.seed = seed
    self.checkpointEverySteps = checkpointEverySteps
  }
}

/// Summary of one finished epoch.
public struct EpochRecord: Hashable, Sendable, Codable {
  /// 0-based epoch number.
  public var epoch: Int
  /// Mean training loss over the epoch's samples (training mode, with dropout).
  public var trainLoss: Double
  /// Training top-1 over the epoch (while the weights changed), in [0, 1].
  public var trainTop1: Double
  /// Validation loss and top-1 after the epoch, when a validation source was given.
  public var validationLoss: Double?
  public var validationTop1: Double?
  /// Learning rate of the epoch's last step.
  public var learningRate: Double
  /// Wall-clock seconds of the epoch's training steps (validation excluded).
  public var seconds: Double
}

/// Where a run is, everything needed besides the tensors to continue it.
public struct TrainingState: Hashable, Sendable, Codable {
  /// The epoch in progress (== epochs when finished).
  public var epoch = 0
  /// Steps of `epoch` already done.
  public var stepInEpoch = 0
  /// Optimizer steps done since the start of the run.
  public var globalStep = 0
  /// Running sums of the epoch in progress.
  public var epochLossSum = 0.0
  public var epochCorrect = 0
  public var epochSamples = 0
  public var epochSeconds = 0.0
  /// Every finished epoch.
  public var history: [EpochRecord] = []

  public init() {}
}

/// Progress of one optimizer step.
public struct StepProgress: Sendable, Hashable {
  public var epoch: Int
  /// 1-based step within the epoch.
  public var step: Int
  public var stepsPerEpoch: Int
  /// 1-based step of the run.
  public var globalStep: Int
  public var totalSteps: Int
  public var loss: Float
  public var learningRate: Float
}

/// What `Trainer.run` reports.
public enum TrainerEvent: Sendable {
  case step(StepProgress)
  case epochEnd(EpochRecord)
  /// A snapshot to persist (`Checkpoint.encoded()`); resuming from it continues bit-exactly.
  case checkpoint(Checkpoint)
}

/// Trains a `GraphModel` on a `BatchSource`.
public struct Trainer: Sendable {
  public var model: GraphModel
  public let configuration: TrainerConfiguration
  public let stepsPerEpoch: Int
  /// Nominal batch size (for the learning rate).
  public let batchSize: Int
  public let schedule: CosineSchedule
  /// Momentum buffers, one per parameter of `model.parameters`.
  public internal(set) var velocities: [[Float]]
  public internal(set) var state: TrainingState

  /// A fresh run of `model` with `stepsPerEpoch` batches of nominal size `batchSize` per epoch.
  public init(
    model: GraphModel, configuration: TrainerConfiguration, stepsPerEpoch: Int, batchSize: Int
  ) throws {
    guard configuration.epochs > 0, stepsPerEpoch > 0, batchSize > 0 else {
      throw TrainingError.invalidConfiguration(
        detail: "epochs (\(configuration.epochs)), steps per epoch (\(stepsPerEpoch)) and batch "
          + "size (\(batchSize)) must be positive")
    }
    guard configuration.warmupEpochs >= 0, configuration.warmupEpochs < configuration.epochs else {
      throw TrainingError.invalidConfiguration(
        detail: "warm-up of \(configuration.warmupEpochs) epochs must be shorter than the "
          + "\(configuration.epochs) epochs of the run; shorten the warm-up or train longer")
    }
    guard configuration.learningRatePer256 > 0,
      (0..<1).contains(configuration.labelSmoothing), configuration.checkpointEverySteps >= 0
    else {
      throw TrainingError.invalidConfiguration(
        detail: "learning rate must be > 0, label smoothing in [0, 1), checkpoint interval >= 0")
    }
    self.model = model
    self.configuration = configuration
    self.stepsPerEpoch = stepsPerEpoch
    self.batchSize = batchSize
    self.schedule = CosineSchedule(
      baseLearningRate: configuration.learningRatePer256 * Float(batchSize) / 256,
      warmupSteps: configuration.warmupEpochs * stepsPerEpoch,
      totalSteps: configuration.epochs * stepsPerEpoch)
    self.velocities = model.parameters.map { Array(repeating: 0, count: $0.value.count) }
    self.state = TrainingState()
  }

  /// A fresh run sized from `source`.
  public init(model: GraphModel, configuration: TrainerConfiguration, source: some BatchSource)
    throws
  {
    try self.init(
      model: model, configuration: configuration, stepsPerEpoch: source.batchesPerEpoch,
      batchSize: source.batchSize)
  }

  /// True once every epoch has run.
  public var isFinished: Bool { state.epoch >= configuration.epochs }

  /// The loss the run trains with.
  public var loss: SoftmaxCrossEntropy {
    SoftmaxCrossEntropy(classes: model.classCount, labelSmoothing: configuration.labelSmoothing)
  }

  /// The dropout generator of global step `step`.
  func generator(step: Int) -> SeededGenerator {
    SeededGenerator(seed: StreamSeed.derive(configuration.seed, stream: 0x4452_4F50, index: step))
  }

  // MARK: - Running

  /// Trains until the last epoch is done, or until `globalStep` reaches `stopAtStep` (then
  /// returns early; `checkpoint()` captures the state to resume from). Validation runs on
  /// `validation` after every epoch. Returns whether the run is finished.
  @discardableResult
  public mutating func run<Train: BatchSource, Validation: BatchSource>(
    train: inout Train, validation: inout Validation, stopAtStep: Int? = nil,
    events: (TrainerEvent) throws -> Void = { _ in }
  ) throws -> Bool {
    try run(train: &train, stopAtStep: stopAtStep, events: events) { model in
      try model.evaluate(&validation)
    }
  }

  /// `run` without validation.
  @discardableResult
  public mutating func run<Train: BatchSource>(
    train: inout Train, stopAtStep: Int? = nil, events: (TrainerEvent) throws -> Void = { _ in }
  ) throws -> Bool {
    try run(train: &train, stopAtStep: stopAtStep, events: events) { _ in nil }
  }

  private mutating func run<Train: BatchSource>(
    train: inout Train, stopAtStep: Int?, events: (TrainerEvent) throws -> Void,
    validate: (inout GraphModel) throws -> Evaluation?
  ) throws -> Bool {
    guard train.batchesPerEpoch == stepsPerEpoch else {
      throw TrainingError.checkpointMismatch(
        detail: "the training source has \(train.batchesPerEpoch) batches per epoch, the run "
          + "\(stepsPerEpoch)")
    }
    let loss = self.loss
    let clock = ContinuousClock()
    while !isFinished {
      try train.startEpoch(state.epoch, skipping: state.stepInEpoch)
      while state.stepInEpoch < stepsPerEpoch {
        if let stopAtStep, state.globalStep >= stopAtStep { return false }
        guard let batch = try train.nextBatch() else {
          throw TrainingError.sourceEnded(
            epoch: state.epoch, batch: state.stepInEpoch, announced: stepsPerEpoch)
        }
        let start = clock.now
        let (result, lr) = step(batch, loss: loss)
        state.epochSeconds += seconds(clock.now - start)
        try events(.step(progress(result, learningRate: lr)))
        let every = configuration.checkpointEverySteps
        if every > 0, state.globalStep % every == 0, state.stepInEpoch < stepsPerEpoch {
          try events(.checkpoint(checkpoint()))
        }
      }
      let validation = try validate(&model)
      let record = finishEpoch(validation: validation)
      try events(.epochEnd(record))
      try events(.checkpoint(checkpoint()))
    }
    return true
  }

  /// One optimizer step on `batch`; returns its loss and the learning rate used.
  private mutating func step(_ batch: TrainingBatch, loss: SoftmaxCrossEntropy)
    -> (StepResult, Float)
  {
    var rng = generator(step: state.globalStep)
    let result = model.forwardBackward(
      images: batch.images, labels: batch.labels, loss: loss, using: &rng)
    let lr = schedule.learningRate(step: state.globalStep)
    let c = configuration.optimizer
    for i in model.parameters.indices {
      SGD.update(
        &model.parameters[i].value, gradient: model.parameters[i].gradient,
        velocity: &velocities[i], learningRate: lr, momentum: c.momentum,
        weightDecay: c.decays(model.parameters[i].role) ? c.weightDecay : 0,
        nesterov: c.nesterov)
    }
    state.epochLossSum += Double(result.loss) * Double(result.count)
    state.epochCorrect += result.correct
    state.epochSamples += result.count
    state.stepInEpoch += 1
    state.globalStep += 1
    return (result, lr)
  }

  private func progress(_ result: StepResult, learningRate: Float) -> StepProgress {
    StepProgress(
      epoch: state.epoch, step: state.stepInEpoch, stepsPerEpoch: stepsPerEpoch,
      globalStep: state.globalStep, totalSteps: schedule.totalSteps, loss: result.loss,
      learningRate: learningRate)
  }

  /// Closes the epoch in progress: appends its record and moves to the next epoch.
  private mutating func finishEpoch(validation: Evaluation?) -> EpochRecord {
    let samples = max(state.epochSamples, 1)
    let record = EpochRecord(
      epoch: state.epoch, trainLoss: state.epochLossSum / Double(samples),
      trainTop1: Double(state.epochCorrect) / Double(samples),
      validationLoss: validation?.loss, validationTop1: validation?.top1,
      learningRate: Double(schedule.learningRate(step: max(state.globalStep - 1, 0))),
      seconds: state.epochSeconds)
    state.history.append(record)
    state.epoch += 1
    state.stepInEpoch = 0
    state.epochLossSum = 0
    state.epochCorrect = 0
    state.epochSamples = 0
    state.epochSeconds = 0
    return record
  }

  private func seconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) + Double(atto) * 1e-18
  }
}
