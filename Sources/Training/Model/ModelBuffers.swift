// ModelBuffers.swift
// Every buffer a GraphModel step touches, allocated once: node outputs, pre-BN outputs, dropout
// masks, shared gradient slots, two scratch gradients and the im2col workspace. Changing the
// batch size resizes them within their capacity (Array never shrinks its storage), so a short
// last batch costs no allocation and the next full batch none either.
//
// Gradient slots are shared by liveness, like an activation arena: walking the graph backward,
// the gradient of node i is written first by its last consumer and read last by node i itself,
// so after node i's backward its slot is free for an earlier node. On an MBConv chain this
// needs a handful of slots instead of one per node. A slot always holds its full size (the
// largest node it serves, times the batch) and a node's gradient is its first elements, so
// handing a slot to a node of another size costs nothing; a first writer that can overwrite
// (a GEMM with β = 0, the depthwise gather, a copy) skips zeroing it too.

/// The buffers of one model, sized for `batch` samples.
struct ModelBuffers: Sendable {
  /// Samples the buffers currently hold.
  private(set) var batch: Int
  /// Output of each node ([N, …] flattened); `outputs[0]` is the input batch.
  var outputs: [[Float]]
  /// Conv/depthwise output before batch norm (empty for nodes without BN).
  var preNorm: [[Float]]
  /// Linear input after dropout, and the dropout mask (empty without dropout).
  var dropped: [[Float]]
  var masks: [[Float]]
  /// Batch statistics of each batch norm from the last training forward pass.
  var saved: [BatchNorm.SavedStatistics]
  /// Gradient slots (each at its full size; see the file comment) and the slot of each node
  /// (nil for the input, which needs no gradient).
  var gradients: [[Float]]
  let gradientSlot: [Int?]
  /// The node whose backward writes node i's gradient first (its last consumer).
  let firstGradientWriter: [Int]
  /// Two scratch gradient buffers (after the activation, after the batch norm).
  var scratchA: [Float]
  var scratchB: [Float]
  /// im2col workspace shared by every conv.
  var workspace: [Float]
  /// Batch-norm moments storage, reused by every layer.
  var moments = ChannelMoments()

  // Per-sample sizes, fixed by the graph.
  private let perSampleOutput: [Int]
  private let perSampleScratch: Int
  private let workspacePerSample: Int
  private let slotPerSample: [Int]
  private let dropoutInputCount: [Int]
  private let hasNorm: [Bool]
  private let hasDropout: [Bool]

  init(layers: [Layer], batch: Int) {
    self.batch = 0
    perSampleOutput = layers.map(\.outputCount)
    perSampleScratch = perSampleOutput.max() ?? 0
    workspacePerSample =
      layers.map { layer -> Int in
        if case .conv(let op) = layer.kind { return op.workspaceCount(batch: 1) }
        return 0
      }.max() ?? 0
    outputs = Array(repeating: [], count: layers.count)
    preNorm = outputs
    dropped = outputs
    masks = outputs
    saved = layers.compactMap {
      $0.norm.map { BatchNorm.SavedStatistics(channels: $0.op.channels) }
    }
    let plan = GradientPlan(layers: layers)
    gradientSlot = plan.slot
    firstGradientWriter = plan.firstWriter
    gradients = plan.slotSizes.map { _ in [] }
    slotPerSample = plan.slotSizes
    scratchA = []
    scratchB = []
    workspace = []
    hasNorm = layers.map { $0.norm != nil }
    hasDropout = layers.map { layer in
      if case .linear(_, let dropout?) = layer.kind { return dropout.rate > 0 }
      return false
    }
    dropoutInputCount = layers.map { layer in
      if case .linear(let op, _) = layer.kind { return op.inFeatures }
      return 0
    }
    resize(batch: batch)
  }

  /// Sizes every buffer for `n` samples (no allocation when `n` is within the capacity).
  mutating func resize(batch n: Int) {
    precondition(n > 0, "batch size must be positive")
    guard n != batch else { return }
    batch = n
    for i in outputs.indices where i > 0 {
      Self.setCount(&outputs[i], perSampleOutput[i] * n)
      if hasNorm[i] { Self.setCount(&preNorm[i], perSampleOutput[i] * n) }
      if hasDropout[i] {
        Self.setCount(&dropped[i], dropoutInputCount[i] * n)
        Self.setCount(&masks[i], dropoutInputCount[i] * n)
      }
    }
    for s in gradients.indices { Self.setCount(&gradients[s], slotPerSample[s] * n) }
    Self.setCount(&scratchA, perSampleScratch * n)
    Self.setCount(&scratchB, perSampleScratch * n)
    Self.setCount(&workspace, workspacePerSample * n)
  }

  /// Elements of node `node`'s gradient (its output's element count).
  func gradientCount(of node: Int) -> Int { perSampleOutput[node] * batch }

  /// Zeroes node `node`'s gradient (for a first writer that accumulates).
  mutating func zeroGradient(of node: Int) {
    guard let slot = gradientSlot[node] else { return }
    let count = gradientCount(of: node)
    gradients[slot].withUnsafeMutableBufferPointer {
      $0.baseAddress?.update(repeating: 0, count: count)
    }
  }

  /// A copy of node `node`'s gradient, exactly its size (for the ops with array interfaces).
  func gradientArray(of node: Int) -> [Float] {
    guard let slot = gradientSlot[node] else { preconditionFailure("node \(node) has no gradient") }
    return Array(gradients[slot].prefix(gradientCount(of: node)))
  }

  /// Overwrites node `node`'s gradient with `values` (its size).
  mutating func setGradient(of node: Int, _ values: [Float]) {
    guard let slot = gradientSlot[node] else { preconditionFailure("node \(node) has no gradient") }
    checkCount(values.count, gradientCount(of: node), "gradient of node \(node)")
    gradients[slot].withUnsafeMutableBufferPointer { dst in
      values.withUnsafeBufferPointer { src in
        guard let dst = dst.baseAddress, let src = src.baseAddress else { return }
        dst.update(from: src, count: values.count)
      }
    }
  }

  /// Bytes reserved by all buffers (capacities, not counts).
  var capacityBytes: Int {
    let arrays = outputs.dropFirst() + preNorm + dropped + masks + gradients
    let total = arrays.reduce(0) { $0 + $1.capacity }
    return 4 * (total + scratchA.capacity + scratchB.capacity + workspace.capacity)
  }

  /// Grows or shrinks `array` to `count` elements, keeping its storage; new elements are 0.
  static func setCount(_ array: inout [Float], _ count: Int) {
    if array.count > count {
      array.removeLast(array.count - count)
    }
    // Appending slices of a zero block copies memory; `repeatElement` would go element by
    // element (2 % of a training step when it did).
    if array.count < count { array.reserveCapacity(count) }
    while array.count < count {
      array.append(contentsOf: zeroBlock.prefix(count - array.count))
    }
  }

  /// Zeros appended by `setCount`.
  private static let zeroBlock = [Float](repeating: 0, count: 1 << 14)
}

/// The liveness-based assignment of gradient slots (see the file comment).
struct GradientPlan {
  /// Slot of each node's gradient (nil for the input node).
  var slot: [Int?]
  /// Per-sample size of each slot (the largest node it serves).
  var slotSizes: [Int] = []
  /// The node whose backward first writes node i's gradient (i itself for the output node).
  var firstWriter: [Int]

  init(layers: [Layer]) {
    let count = layers.count
    slot = Array(repeating: nil, count: count)
    firstWriter = Array(0..<count)
    for (j, layer) in layers.enumerated() {
      for i in layer.inputs { firstWriter[i] = max(firstWriter[i], j) }
    }
    var free: [Int] = []
    let last = count - 1
    slot[last] = take(&free, size: layers[last].outputCount)
    for j in stride(from: last, through: 1, by: -1) {
      for i in Set(layers[j].inputs).sorted() where i > 0 && firstWriter[i] == j {
        slot[i] = take(&free, size: layers[i].outputCount)
      }
      if let s = slot[j] { free.append(s) }
    }
  }

  /// A free slot (the one closest in size, preferring one large enough), or a new one.
  private mutating func take(_ free: inout [Int], size: Int) -> Int {
    let fitting = free.filter { slotSizes[$0] >= size }.min { slotSizes[$0] < slotSizes[$1] }
    let chosen = fitting ?? free.max { slotSizes[$0] < slotSizes[$1] }
    guard let chosen, let position = free.firstIndex(of: chosen) else {
      slotSizes.append(size)
      return slotSizes.count - 1
    }
    free.remove(at: position)
    slotSizes[chosen] = max(slotSizes[chosen], size)
    return chosen
  }
}
