import CLIPKitKernels
import Foundation

// Behaviour of Pillow 13 `Image.resize` (src/libImaging/Resample.c and the NEAREST path in
// src/_imaging.c + src/libImaging/Geometry.c), reimplemented; `reducing_gap` is not used by
// Hugging Face's PIL backend and is not modelled.

/// PIL's resampling filters, numbered as in `preprocessor_config.json`'s `resample`.
public enum ResamplingFilter: Int, Sendable, Codable, CaseIterable {
    case nearest = 0, lanczos = 1, bilinear = 2, bicubic = 3, box = 4, hamming = 5

    /// Filter radius at scale 1.
    var support: Double {
        switch self {
        case .nearest, .box: 0.5
        case .bilinear, .hamming: 1
        case .bicubic: 2
        case .lanczos: 3
        }
    }

    /// The filter's kernel, in the same double-precision operation order as Pillow.
    func weight(_ t: Double) -> Double {
        switch self {
        case .nearest, .box:
            return t > -0.5 && t <= 0.5 ? 1 : 0
        case .bilinear:
            let x = abs(t)
            return x < 1 ? 1 - x : 0
        case .hamming:
            let x = abs(t)
            if x == 0 { return 1 }
            if x >= 1 { return 0 }
            let px = x * Double.pi
            // Pillow writes the constants as C floats (0.54f, 0.46f) promoted to double.
            return sin(px) / px * (Double(Float(0.54)) + Double(Float(0.46)) * cos(px))
        case .bicubic:
            let a = -0.5
            let x = abs(t)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        case .lanczos:
            guard -3 <= t, t < 3 else { return 0 }
            return Self.sinc(t) * Self.sinc(t / 3)
        }
    }

    private static func sinc(_ t: Double) -> Double {
        if t == 0 { return 1 }
        let x = t * Double.pi
        return sin(x) / x
    }
}

/// Separable 8-bit RGB resampling bit-exact with Pillow's, computing only a window of the
/// output (the part a centre crop keeps): each output pixel depends only on its own
/// coefficients, so the window equals the same region of the full result.
enum Resampler {
    /// 32 − 8 − 2: coefficients are fixed point with 22 fractional bits.
    static let precisionBits = 22

    /// Per-output-index taps: `start[i]`, `count[i]` and `kernelSize` fixed-point weights each.
    struct Taps {
        var start: [Int] = []
        var count: [Int] = []
        var weights: [Int32] = []
        var kernelSize = 0
    }

    /// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for output indices `range`.
    static func taps(inSize: Int, outSize: Int, filter: ResamplingFilter, range: Range<Int>) -> Taps {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let kernelSize = Int(ceil(support)) * 2 + 1
        let inverse = 1.0 / filterScale
        var taps = Taps()
        taps.kernelSize = kernelSize
        taps.start.reserveCapacity(range.count)
        taps.count.reserveCapacity(range.count)
        taps.weights = [Int32](repeating: 0, count: range.count * kernelSize)
        var k = [Double](repeating: 0, count: kernelSize)
        let one = Double(1 << precisionBits)
        for (slot, xx) in range.enumerated() {
            let center = (Double(xx) + 0.5) * scale
            let xmin = max(0, Int(center - support + 0.5))
            let xmax = min(inSize, Int(center + support + 0.5)) - xmin
            var total = 0.0
            for x in 0..<max(0, xmax) {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * inverse)
                k[x] = w
                total += w
            }
            for x in 0..<max(0, xmax) {
                let w = total != 0 ? k[x] / total : k[x]
                taps.weights[slot * kernelSize + x] = Int32(w < 0 ? -0.5 + w * one : 0.5 + w * one)
            }
            taps.start.append(xmin)
            taps.count.append(max(0, xmax))
        }
        return taps
    }

    /// `round(sum) >> 22` clipped to 0...255, with Pillow's half-up bias.
    @inline(__always)
    static func clip8(_ sum: Int32) -> UInt8 {
        let v = sum >> Int32(precisionBits)
        return v <= 0 ? 0 : v >= 255 ? 255 : UInt8(truncatingIfNeeded: v)
    }

    /// Resizes RGB `source` (`width`×`height`) to `outWidth`×`outHeight` and returns the window
    /// `columns`×`rows` of the result, row-major RGB.
    static func resize(
        _ source: UnsafePointer<UInt8>, width: Int, height: Int, outWidth: Int, outHeight: Int,
        filter: ResamplingFilter, columns: Range<Int>, rows: Range<Int>
    ) -> [UInt8] {
        if filter == .nearest {
            return nearest(
                source, width: width, height: height, outWidth: outWidth, outHeight: outHeight,
                columns: columns, rows: rows)
        }
        let needsHorizontal = outWidth != width
        let needsVertical = outHeight != height
        let vertical = taps(inSize: height, outSize: outHeight, filter: filter, range: needsVertical ? rows : 0..<0)
        let horizontal = taps(inSize: width, outSize: outWidth, filter: filter, range: needsHorizontal ? columns : 0..<0)

        // Pillow 13 runs the vertical pass first when it removes more than twice as many rows as
        // the horizontal pass removes columns (so always when the width grows and the height
        // shrinks; never for a uniform downscale). Measured on Pillow 13.0.0: 396 random sizes
        // 4...300 → 2...300 and the cases in docs/deviations.md, no exception.
        if needsVertical && needsHorizontal && outHeight < height
            && height - outHeight > 2 * (width - outWidth) {
            let firstColumn = horizontal.start.first ?? 0
            let lastColumn = zip(horizontal.start, horizontal.count).map(+).max() ?? 0
            let band = columnBand(source, width: width, height: height, columns: firstColumn..<lastColumn)
            let temp = band.withUnsafeBufferPointer {
                verticalPass($0.baseAddress!, width: lastColumn - firstColumn, taps: vertical, firstRow: 0)
            }
            var shifted = horizontal
            shifted.start = shifted.start.map { $0 - firstColumn }
            return temp.withUnsafeBufferPointer {
                horizontalPass(
                    $0.baseAddress!, width: lastColumn - firstColumn, rows: 0..<rows.count, taps: shifted)
            }
        }

        // Input rows the vertical pass reads (all of `rows` when there is no vertical pass).
        let inputRows: Range<Int> =
            needsVertical
            ? (vertical.start.first ?? 0)..<(zip(vertical.start, vertical.count).map(+).max() ?? 0) : rows
        let temp: [UInt8]
        let tempWidth = columns.count
        if needsHorizontal {
            temp = horizontalPass(source, width: width, rows: inputRows, taps: horizontal)
        } else {
            temp = columnBand(source + inputRows.lowerBound * width * 3, width: width, height: inputRows.count, columns: columns)
        }
        guard needsVertical else { return temp }
        return temp.withUnsafeBufferPointer {
            verticalPass($0.baseAddress!, width: tempWidth, taps: vertical, firstRow: inputRows.lowerBound)
        }
    }

    /// Copies columns `columns` of every row.
    static func columnBand(_ source: UnsafePointer<UInt8>, width: Int, height: Int, columns: Range<Int>) -> [UInt8] {
        let w = columns.count
        return [UInt8](unsafeUninitializedCapacity: w * height * 3) { buffer, initialized in
            for y in 0..<height {
                (buffer.baseAddress! + y * w * 3).update(
                    from: source + (y * width + columns.lowerBound) * 3, count: w * 3)
            }
            initialized = w * height * 3
        }
    }

    /// Horizontal pass over input `rows`: output `taps.start.count` columns per row (in C,
    /// SSE4.1 where present: `clipkit_resample_horizontal_rgb`).
    static func horizontalPass(_ source: UnsafePointer<UInt8>, width: Int, rows: Range<Int>, taps: Taps) -> [UInt8] {
        let outWidth = taps.start.count
        return [UInt8](unsafeUninitializedCapacity: outWidth * rows.count * 3) { buffer, initialized in
            if outWidth > 0, !rows.isEmpty, let out = buffer.baseAddress {
                clipkit_resample_horizontal_rgb(source + rows.lowerBound * width * 3, width * 3, rows.count,
                                                taps.start, taps.count, taps.weights, taps.kernelSize,
                                                outWidth, out)
            }
            initialized = outWidth * rows.count * 3
        }
    }

    /// Vertical pass: output row `i` reads rows `taps.start[i] - firstRow ...` of `source`.
    static func verticalPass(_ source: UnsafePointer<UInt8>, width: Int, taps: Taps, firstRow: Int) -> [UInt8] {
        let outHeight = taps.start.count
        let rowBytes = width * 3
        let k = taps.kernelSize
        // Row-at-a-time accumulation (same sums, same order per pixel) so the inner loop is a
        // contiguous multiply-add the compiler vectorises.
        var sums = [Int32](repeating: 0, count: rowBytes)
        return [UInt8](unsafeUninitializedCapacity: rowBytes * outHeight) { buffer, initialized in
            taps.weights.withUnsafeBufferPointer { weights in
                sums.withUnsafeMutableBufferPointer { acc in
                    let a = acc.baseAddress!
                    for yy in 0..<outHeight {
                        let w = weights.baseAddress! + yy * k
                        let base = source + (taps.start[yy] - firstRow) * rowBytes
                        let dst = buffer.baseAddress! + yy * rowBytes
                        a.update(repeating: Int32(1 << (precisionBits - 1)), count: rowBytes)
                        for y in 0..<taps.count[yy] {
                            let c = w[y]
                            let p = base + y * rowBytes
                            for i in 0..<rowBytes { a[i] &+= Int32(p[i]) &* c }
                        }
                        for i in 0..<rowBytes { dst[i] = clip8(a[i]) }
                    }
                }
            }
            initialized = rowBytes * outHeight
        }
    }

    /// PIL's NEAREST resize: an affine scale whose source coordinate starts at half a step
    /// and is advanced by repeated addition (as Pillow does), then truncated.
    static func nearest(
        _ source: UnsafePointer<UInt8>, width: Int, height: Int, outWidth: Int, outHeight: Int,
        columns: Range<Int>, rows: Range<Int>
    ) -> [UInt8] {
        func table(_ inSize: Int, _ outSize: Int) -> [Int] {
            let step = Double(Float(inSize)) / Double(outSize)
            var position = step * 0.5
            var result = [Int](repeating: -1, count: outSize)
            for i in 0..<outSize {
                let index = position < 0 ? -1 : Int(position)
                if index >= 0 && index < inSize { result[i] = index }
                position += step
            }
            return result
        }
        let xs = table(width, outWidth)
        let ys = table(height, outHeight)
        let w = columns.count
        var out = [UInt8](repeating: 0, count: w * rows.count * 3)
        out.withUnsafeMutableBufferPointer { buffer in
            for (r, y) in rows.enumerated() where ys[y] >= 0 {
                let line = source + ys[y] * width * 3
                for (c, x) in columns.enumerated() where xs[x] >= 0 {
                    let s = line + xs[x] * 3
                    let d = (r * w + c) * 3
                    buffer[d] = s[0]
                    buffer[d + 1] = s[1]
                    buffer[d + 2] = s[2]
                }
            }
        }
        return out
    }
}
