import Synchronization
import Testing
@testable import CLIPKit

@Suite("Work splitting")
struct ParallelTests {
    /// Every item is visited once, by a worker below the worker count, and blocks are
    /// `block` long except the last.
    @Test(arguments: [(0, 32), (1, 32), (31, 32), (32, 32), (33, 32), (1600, 32), (1601, 7), (24, 4)])
    func dynamicBlocksCoverEveryItemOnce(count: Int, block: Int) {
        let visits = Mutex([Int](repeating: 0, count: count))
        let blocks = Mutex([Range<Int>]())
        let workers = Mutex(Set<Int>())
        Parallel.dynamicBlocks(count, block: block) { worker, range in
            workers.withLock { _ = $0.insert(worker) }
            blocks.withLock { $0.append(range) }
            visits.withLock { for item in range { $0[item] += 1 } }
        }
        #expect(visits.withLock { $0 }.allSatisfy { $0 == 1 })
        let sorted = blocks.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
        #expect(sorted.dropLast().allSatisfy { $0.count == block })
        #expect(sorted.last.map { $0.count <= block } ?? (count == 0))
        #expect(workers.withLock { $0 }.allSatisfy { (0..<Parallel.workerCount).contains($0) })
    }

    @Test(arguments: [0, 1, 5, 384])
    func forEachVisitsEveryItemOnce(count: Int) {
        let visits = Mutex([Int](repeating: 0, count: count))
        let limit = 3
        let workers = Mutex(Set<Int>())
        Parallel.forEach(count, workers: limit) { worker, item in
            workers.withLock { _ = $0.insert(worker) }
            visits.withLock { $0[item] += 1 }
        }
        #expect(visits.withLock { $0 }.allSatisfy { $0 == 1 })
        #expect(workers.withLock { $0 }.allSatisfy { (0..<limit).contains($0) })
    }

    /// Every output of a packed layer's product is computed once, column blocks start at tile
    /// boundaries, and the split is by rows exactly when there are at least four row blocks per
    /// worker.
    @Test(arguments: [(1568, 768, 48), (1568, 2304, nil), (50, 768, 48), (400, 100, 48), (0, 64, 48), (7, 1, 2)] as [(Int, Int, Int?)])
    func productBlocksCoverEveryOutputOnce(rows: Int, columns: Int, rowBlock: Int?) {
        let visits = Mutex([Int](repeating: 0, count: rows * columns))
        let splitByRows = Mutex(false)
        Parallel.productBlocks(rows: rows, columns: columns, rowBlock: rowBlock) { rowRange, columnRange in
            #expect(columnRange.lowerBound % Parallel.productTileWidth == 0)
            if columnRange.count == columns && rowRange.count < rows { splitByRows.withLock { $0 = true } }
            visits.withLock { for r in rowRange { for c in columnRange { $0[r * columns + c] += 1 } } }
        }
        #expect(visits.withLock { $0 }.allSatisfy { $0 == 1 })
        let expectRows = rowBlock.map { rows >= 4 * $0 * Parallel.workerCount } ?? false
        #expect(splitByRows.withLock { $0 } == expectRows)
    }
}
