// SGD.swift
// Stochastic gradient descent with momentum (optionally Nesterov) and L2 weight decay added to
// the gradient, exactly PyTorch's `torch.optim.SGD` with dampening 0. MCUNet (§4 of
// paper_facts.md) trains with momentum 0.9 and weight decay 5e-5 under a cosine schedule.

/// PyTorch-style SGD. For each parameter p with gradient g and velocity v (zero-initialized):
///
///     g ← g + weightDecay · p            (coupled L2 decay, not AdamW-style decoupled)
///     v ← momentum · v + g
///     d ← nesterov ? g + momentum · v : v
///     p ← p − lr · d
///
/// Zero-initializing v equals PyTorch's `v = g` on the first step because dampening is 0.
public struct SGD: Sendable {
  /// Hyper-parameters (the learning rate comes from the schedule at each step).
  public struct Configuration: Hashable, Sendable, Codable {
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool
    /// Also decay biases and batch-norm γ/β. Off by default, like once-for-all's
    /// `no_decay_keys = 'bn#bias'`, which MCUNet's training code inherits.
    public var decayBiasAndNorm: Bool

    public init(
      momentum: Float = 0.9, weightDecay: Float = 5e-5, nesterov: Bool = false,
      decayBiasAndNorm: Bool = false
    ) {
      precondition(momentum >= 0 && weightDecay >= 0, "momentum and weight decay must be >= 0")
      precondition(!nesterov || momentum > 0, "Nesterov needs a positive momentum")
      self.momentum = momentum
      self.weightDecay = weightDecay
      self.nesterov = nesterov
      self.decayBiasAndNorm = decayBiasAndNorm
    }

    /// The paper's setting: momentum 0.9, weight decay 5e-5. The paper does not say whether
    /// momentum is Nesterov (once-for-all's scripts use Nesterov); this preset does not.
    public static let paper = Configuration()

    /// Whether a parameter of `role` gets weight decay.
    public func decays(_ role: Parameter.Role) -> Bool {
      role == .weight || decayBiasAndNorm
    }
  }

  public let configuration: Configuration
  /// One velocity buffer per parameter, in the order of the `parameters` array of `step`.
  public private(set) var velocities: [[Float]] = []

  public init(configuration: Configuration = .paper) {
    self.configuration = configuration
  }

  /// Updates every parameter from its gradient (gradients are read, not cleared). The same
  /// parameters must be passed in the same order at every step.
  public mutating func step(_ parameters: inout [Parameter], learningRate: Float) {
    if velocities.isEmpty {
      velocities = parameters.map { [Float](repeating: 0, count: $0.value.count) }
    }
    precondition(velocities.count == parameters.count, "parameter list changed between steps")
    let c = configuration
    for i in parameters.indices {
      SGD.update(
        &parameters[i].value, gradient: parameters[i].gradient, velocity: &velocities[i],
        learningRate: learningRate, momentum: c.momentum,
        weightDecay: c.decays(parameters[i].role) ? c.weightDecay : 0, nesterov: c.nesterov)
    }
  }

  /// The update rule for one buffer (see the type's doc comment).
  public static func update(
    _ value: inout [Float], gradient: [Float], velocity: inout [Float], learningRate: Float,
    momentum: Float, weightDecay: Float, nesterov: Bool
  ) {
    checkCount(gradient.count, value.count, "SGD gradient")
    checkCount(velocity.count, value.count, "SGD velocity")
    // Raw pointers and the Nesterov switch outside the loop: the compiler vectorises the body
    // (with bounds checks and the branch inside it ran at ~10 ns per parameter).
    let count = value.count
    gradient.withUnsafeBufferPointer { g in
      value.withUnsafeMutableBufferPointer { w in
        velocity.withUnsafeMutableBufferPointer { v in
          guard let g = g.baseAddress, let w = w.baseAddress, let v = v.baseAddress else { return }
          if nesterov {
            for i in 0..<count {
              let d = g[i] + weightDecay * w[i]
              let u = momentum * v[i] + d
              v[i] = u
              w[i] -= learningRate * (d + momentum * u)
            }
          } else {
            for i in 0..<count {
              let u = momentum * v[i] + (g[i] + weightDecay * w[i])
              v[i] = u
              w[i] -= learningRate * u
            }
          }
        }
      }
    }
  }
}
