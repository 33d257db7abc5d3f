// BLAS.swift
// The one place that calls OpenBLAS: row-major `cblas_sgemm` wrappers for the dense products of
// conv2d (after im2col), pointwise conv and linear, plus OpenBLAS's thread and core queries.
// OpenBLAS 0.3.21 picks slow Prescott kernels on this CPU unless OPENBLAS_CORETYPE is set before
// the process starts (reference/native-deps.md §4); that is the caller's choice, never made here.

import COpenBLAS

/// OpenBLAS settings that matter for throughput and provenance.
public enum BLAS {
  /// Threads OpenBLAS uses for one GEMM.
  public static var threadCount: Int { Int(openblas_get_num_threads()) }

  /// Sets the threads OpenBLAS uses for one GEMM (process-wide, as OpenBLAS itself is).
  public static func setThreadCount(_ n: Int) {
    precondition(n > 0, "thread count must be positive")
    openblas_set_num_threads(Int32(n))
  }

  /// The kernel family OpenBLAS selected at load time, e.g. "Prescott" or "Haswell".
  public static var coreName: String { String(cString: openblas_get_corename()) }

  /// Runs `body` with OpenBLAS single-threaded, so that calls made concurrently from the
  /// cores' own workers (`RowTiles`) each run on their caller's thread; the thread count is
  /// restored afterwards. (OpenBLAS's threads never split a product's inner dimension, so its
  /// results do not depend on the thread count.)
  static func withSingleThreadedCalls<R>(_ body: () -> R) -> R {
    let threads = openblas_get_num_threads()
    guard threads > 1 else { return body() }
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(threads) }
    return body()
  }
}

/// Dense products `y = x · wᵀ (+ b)` over row-major matrices and their gradients; shared by
/// `Conv2D` (on the im2col matrix), `PointwiseConv2D` and `Linear`.
///
/// Shapes: x [m, k], w [n, k] (one row per output feature, i.e. OHWI flattened), b [n],
/// y [m, n]. Backward functions accumulate (beta = 1).
///
/// Threads: a tall product (m in the tens of thousands, k and n small: every pointwise conv of
/// MCUNet) is cut into row tiles (`RowTiles`) that the cores take in contiguous runs, each tile
/// one *single-threaded* OpenBLAS call. OpenBLAS's own threading splits the output's columns
/// and rows, which for n ≤ a few hundred leaves each thread with a thin, packing-bound problem;
/// the weight gradient (a reduction over m with a tiny [n, k] output) barely parallelises at
/// all. Row tiles also keep each tile's output in L2 between the GEMM and what follows it.
/// Small products go to OpenBLAS whole, on its threads.
enum Dense {
  /// y[m, n] = x[m, k] · w[n, k]ᵀ + b[n] (overwrites y).
  static func forward(
    x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    y: UnsafeMutablePointer<Float>, m: Int, k: Int, n: Int
  ) {
    let tiles = RowTiles(rows: m, rowFloats: k + n)
    guard tiles.isParallel else {
      gemmForward(x: x, w: w, bias: bias, y: y, m: m, k: k, n: n)
      return
    }
    tiles.run(flopsPerRow: 2 * k * n) { _, rows in
      gemmForward(
        x: x + rows.lowerBound * k, w: w, bias: bias, y: y + rows.lowerBound * n,
        m: rows.count, k: k, n: n)
    }
  }

  /// dx[m, k] += dy[m, n] · w[n, k] (or dx = …, overwriting, when `accumulate` is false).
  static func backwardInput(
    dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
    m: Int, k: Int, n: Int, accumulate: Bool = true
  ) {
    let tiles = RowTiles(rows: m, rowFloats: k + n)
    guard tiles.isParallel else {
      gemmBackwardInput(dy: dy, w: w, dx: dx, m: m, k: k, n: n, accumulate: accumulate)
      return
    }
    tiles.run(flopsPerRow: 2 * k * n) { _, rows in
      gemmBackwardInput(
        dy: dy + rows.lowerBound * n, w: w, dx: dx + rows.lowerBound * k, m: rows.count, k: k,
        n: n, accumulate: accumulate)
    }
  }

  /// dw[n, k] += dy[m, n]ᵀ · x[m, k]. Tiled: each worker sums its tiles, in order, into a
  /// private [n, k] buffer, and the buffers are added to dw in worker order, so the result
  /// does not depend on thread timing.
  static func backwardWeight(
    dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
    m: Int, k: Int, n: Int
  ) {
    let tiles = RowTiles(rows: m, rowFloats: k + n)
    guard tiles.isParallel else {
      gemmBackwardWeight(dy: dy, x: x, dw: dw, m: m, k: k, n: n, accumulate: true)
      return
    }
    tiles.run(tiles.workers(flopsPerRow: 2 * k * n), summing: n * k, into: dw) {
      _, rows, partial in
      gemmBackwardWeight(
        dy: dy + rows.lowerBound * n, x: x + rows.lowerBound * k, dw: partial, m: rows.count,
        k: k, n: n, accumulate: true)
    }
  }

  /// db[n] += Σ_rows dy[m, n].
  static func backwardBias(
    dy: UnsafePointer<Float>, db: UnsafeMutablePointer<Float>, m: Int, n: Int
  ) {
    for row in 0..<m {
      let dyRow = dy + row * n
      for j in 0..<n { db[j] += dyRow[j] }
    }
  }

  // MARK: - One OpenBLAS call each

  /// y = x · wᵀ (+ b) in one sgemm.
  static func gemmForward(
    x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    y: UnsafeMutablePointer<Float>, m: Int, k: Int, n: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
      1, x, Int32(k), w, Int32(k), 0, y, Int32(n))
    guard let bias else { return }
    for row in 0..<m {
      let yRow = y + row * n
      for j in 0..<n { yRow[j] += bias[j] }
    }
  }

  /// dx (+)= dy · w in one sgemm.
  static func gemmBackwardInput(
    dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
    m: Int, k: Int, n: Int, accumulate: Bool
  ) {
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(k), Int32(n),
      1, dy, Int32(n), w, Int32(k), accumulate ? 1 : 0, dx, Int32(k))
  }

  /// dw (+)= dyᵀ · x in one sgemm.
  static func gemmBackwardWeight(
    dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
    m: Int, k: Int, n: Int, accumulate: Bool
  ) {
    cblas_sgemm(
      CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(k), Int32(m),
      1, dy, Int32(n), x, Int32(k), accumulate ? 1 : 0, dw, Int32(k))
  }
}

/// The row tiles of a tall GEMM (or of any per-row pass fused with one): fixed by the row
/// count and the floats per row only, never by the thread count, so per-tile partial results
/// (batch-norm moments, weight-gradient sums) combine in the same order on every run.
struct RowTiles {
  /// Rows of the whole matrix.
  let rows: Int
  /// Rows per tile (the last tile may be shorter).
  let tileRows: Int

  /// Floats of one tile's row slices (inputs and outputs together) that stay comfortably in
  /// a 512 kB L2 beside OpenBLAS's packing buffers.
  static let tileFloats = 1 << 15
  /// Below this many rows a product goes to OpenBLAS whole (it threads it itself).
  static let parallelRows = 8192

  init(rows: Int, rowFloats: Int) {
    self.rows = rows
    // Whole units of `ChannelMoments` (so that a tile can record the batch-norm moments of
    // its rows), which are also whole micro-tiles of OpenBLAS's kernels.
    let unit = ChannelMoments.unitRows
    tileRows = max(1, Self.tileFloats / max(rowFloats, 1) / unit) * unit
  }

  /// Number of tiles.
  var count: Int { (rows + tileRows - 1) / tileRows }

  /// The rows of tile `t`.
  func range(_ t: Int) -> Range<Int> { (t * tileRows)..<min(rows, (t + 1) * tileRows) }

  /// Whether the product is tall enough to split over the cores by tiles.
  var isParallel: Bool { rows >= Self.parallelRows && count > 1 && WorkSplit.cores > 1 }

  /// The split of the tiles over the cores for rows of `flopsPerRow`.
  func workers(flopsPerRow: Int) -> WorkSplit {
    WorkSplit(count: count, minimumRows: Grain.rows(flopsPerRow: flopsPerRow * tileRows))
  }

  /// Runs `body(worker, rows)` for every tile, each worker taking a contiguous run of tiles
  /// in order, with OpenBLAS single-threaded meanwhile.
  func run(flopsPerRow: Int, _ body: (Int, Range<Int>) -> Void) {
    run(workers(flopsPerRow: flopsPerRow), body)
  }

  /// `run` with a split chosen beforehand (e.g. to size per-worker buffers).
  func run(_ workers: WorkSplit, _ body: (Int, Range<Int>) -> Void) {
    BLAS.withSingleThreadedCalls {
      workers.run { worker, tiles in
        for t in tiles { body(worker, range(t)) }
      }
    }
  }

  /// `run` for a reduction over the rows (a weight gradient): `body(worker, rows, partial)`
  /// adds its tile's share into `partial`, the worker's own zeroed buffer of `count` floats;
  /// the workers' buffers are then added to `total` in worker order, so the sum does not
  /// depend on thread timing.
  func run(
    _ workers: WorkSplit, summing count: Int, into total: UnsafeMutablePointer<Float>,
    _ body: (Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void
  ) {
    var partials = [Float](repeating: 0, count: workers.chunks * count)
    partials.withUnsafeMutableBufferPointer { pb in
      guard let p = pb.baseAddress else { return }
      run(workers) { worker, rows in body(worker, rows, p + worker * count) }
      for worker in 0..<workers.chunks {
        let src = p + worker * count
        for i in 0..<count { total[i] += src[i] }
      }
    }
  }
}

/// Shared precondition for buffer sizes, with a message that names the op and the buffer.
@inline(__always)
func checkCount(_ actual: Int, _ expected: Int, _ what: @autoclosure () -> String) {
  precondition(actual == expected, "\(what()): \(actual) elements, expected \(expected)")
}

/// The batch size implied by a buffer of `count` elements with `perSample` elements per sample.
func batchSize(count: Int, perSample: Int, _ what: @autoclosure () -> String) -> Int {
  precondition(
    perSample > 0 && count > 0 && count % perSample == 0,
    "\(what()): \(count) elements is not a positive multiple of \(perSample) per sample")
  return count / perSample
}

/// Calls `body` with `count` floats of scratch: the start of `workspace` when it is large
/// enough, else a temporary allocation (uninitialised: the callers write before they read).
func withScratch<R>(
  _ count: Int, preferring workspace: UnsafeMutableBufferPointer<Float>,
  _ body: (UnsafeMutablePointer<Float>) -> R
) -> R {
  if let base = workspace.baseAddress, workspace.count >= count { return body(base) }
  let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
  defer { scratch.deallocate() }
  return body(scratch)
}

/// Calls `body` with a pointer to `array`'s elements, or with nil when `array` is nil.
func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
  guard let array else { return body(nil) }
  return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
