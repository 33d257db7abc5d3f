// CosineSchedule.swift
// The learning-rate schedule MCUNet trains with: cosine annealing to zero (Loshchilov & Hutter
// 2017), after an optional linear warm-up, per optimizer step. The warm-up follows
// once-for-all's `warmup_adjust_learning_rate` (ramping from 0, reaching the base rate on the
// last warm-up step) and the cosine its `calc_learning_rate` over the remaining steps.

import Foundation

/// lr(step) for step in 0..<totalSteps:
///
///     step < W:  base · (step + 1) / W
///     else:      base · ½ · (1 + cos(π · (step − W) / (T − W)))
///
/// with W = warmupSteps and T = totalSteps, so lr(W − 1) = lr(W) = base and lr → 0 at T.
public struct CosineSchedule: Hashable, Sendable, Codable {
  public let baseLearningRate: Float
  public let warmupSteps: Int
  public let totalSteps: Int

  public init(baseLearningRate: Float, warmupSteps: Int = 0, totalSteps: Int) {
    precondition(baseLearningRate > 0, "base learning rate must be positive")
    precondition(
      warmupSteps >= 0 && totalSteps > warmupSteps, "need 0 <= warmupSteps < totalSteps")
    self.baseLearningRate = baseLearningRate
    self.warmupSteps = warmupSteps
    self.totalSteps = totalSteps
  }

  /// The paper's base rate: 0.05 per 256 samples, scaled linearly with the batch size.
  public static func paperBaseLearningRate(batchSize: Int) -> Float {
    0.05 * Float(batchSize) / 256
  }

  /// The learning rate of optimizer step `step` (0-based); 0 at or after `totalSteps`.
  public func learningRate(step: Int) -> Float {
    precondition(step >= 0, "step must be non-negative")
    if step < warmupSteps {
      return baseLearningRate * Float(step + 1) / Float(warmupSteps)
    }
    guard step < totalSteps else { return 0 }
    let progress = Double(step - warmupSteps) / Double(totalSteps - warmupSteps)
    return Float(Double(baseLearningRate) * 0.5 * (1 + cos(Double.pi * progress)))
  }
}
