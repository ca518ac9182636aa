import Dispatch
import Foundation
import Synchronization

/// Splits the element-wise and attention kernels over the cores.
///
/// The big matrix products are threaded by BLAS itself; everything between them (layer norms,
/// activations, attention heads) would otherwise run on one core while the others wait. The
/// kernels run here never call BLAS, so the two kinds of threading never overlap.
enum Parallel {
    /// The cores the process may use.
    static let coreCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Workers for these kernels: as many as BLAS threads (so one setting, e.g.
    /// `OPENBLAS_NUM_THREADS=1` or ``MatrixMultiplication/threadCount``, bounds all the
    /// process's compute threads), at most one per core.
    static var workerCount: Int { min(coreCount, max(1, BLAS.threadCount)) }

    /// Calls `body` on contiguous, disjoint sub-ranges covering `0..<count`, concurrently, with
    /// at least `grain` items per call (fewer calls when there is little work).
    static func chunks(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(workerCount, max(1, count / max(1, grain)))
        guard parts > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        perform(parts) { part in body((part * count / parts)..<((part + 1) * count / parts)) }
    }

    /// Like ``chunks(_:grain:_:)``, also passing each part's index (below ``workerCount``) so
    /// that a part can use per-worker scratch space.
    static func rowParts(_ count: Int, grain: Int = 1, _ body: (_ part: Int, Range<Int>) -> Void) {
        let parts = min(workerCount, max(1, count / max(1, grain)))
        guard parts > 1 else {
            if count > 0 { body(0, 0..<count) }
            return
        }
        perform(parts) { part in body(part, (part * count / parts)..<((part + 1) * count / parts)) }
    }

    /// Calls `body(worker, range)` for consecutive blocks of `block` items covering
    /// `0..<count`, each worker taking the next block as it finishes one, so a worker that
    /// falls behind (preempted, or slowed by a neighbour) leaves its blocks to the others
    /// instead of holding everyone at the join; `worker` (below ``workerCount``) indexes
    /// per-worker scratch space.
    static func dynamicBlocks(_ count: Int, block: Int, _ body: (_ worker: Int, Range<Int>) -> Void) {
        let block = max(1, block)
        forEach((count + block - 1) / block, workers: workerCount) { worker, index in
            body(worker, (index * block)..<min(count, (index + 1) * block))
        }
    }

    /// Output columns per tile of clipkit's packed kernels (int8, bf16, fp32).
    static let productTileWidth = 32

    /// Splits the product of `rows` × `columns` output values of one packed layer over the
    /// workers, calling `body(rows, columns)` for disjoint blocks that cover it (column ranges
    /// start at multiples of ``productTileWidth``).
    ///
    /// With `rowBlock` set and at least four such blocks per worker, each worker claims whole
    /// row blocks across every column: the fp32 kernel copies a block's activations into its
    /// tile order once per call, so a column split (which every worker repeats that copy for)
    /// cost up to a quarter of a narrow layer's time (768 outputs). Otherwise, and for small
    /// batches, the columns are split: a few claims per worker, so a worker that falls behind
    /// leaves its tiles to the others.
    static func productBlocks(rows: Int, columns: Int, rowBlock: Int? = nil,
                              _ body: (_ rows: Range<Int>, _ columns: Range<Int>) -> Void) {
        if let rowBlock, rowBlock > 0, rows >= 4 * rowBlock * workerCount {
            dynamicBlocks(rows, block: rowBlock) { _, range in body(range, 0..<columns) }
            return
        }
        let width = productTileWidth
        let tiles = (columns + width - 1) / width
        dynamicBlocks(tiles, block: max(1, tiles / (3 * workerCount))) { _, range in
            body(0..<rows, (range.lowerBound * width)..<min(range.upperBound * width, columns))
        }
    }

    /// The next item to hand out.
    private final class ItemCounter: Sendable {
        let value = Atomic(0)
    }

    /// Calls `body(worker, item)` for every item in `0..<count` on at most `limit` workers,
    /// each taking the next item as it finishes one; `worker` (below `limit`) indexes
    /// per-worker scratch space.
    static func forEach(_ count: Int, workers limit: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
        let workers = min(limit, count)
        guard workers > 1 else {
            for item in 0..<count { body(0, item) }
            return
        }
        let next = ItemCounter()
        perform(workers) { worker in
            while true {
                let item = next.value.wrappingAdd(1, ordering: .relaxed).oldValue
                guard item < count else { return }
                body(worker, item)
            }
        }
    }

    /// `DispatchQueue.concurrentPerform` for a closure that is not `@Sendable`. Sound here:
    /// `concurrentPerform` returns only when every iteration has finished (so nothing escapes),
    /// and every caller gives each iteration disjoint output memory and shared read-only input.
    private static func perform(_ iterations: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: iterations) { body($0) }
        }
    }
}
