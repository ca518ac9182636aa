/// Overflow-checked products for sizes read from files (dimensions, lengths, counts, offsets).
///
/// A value a file controls must never trap: callers turn `nil` into the error of their area.
enum Checked {
    /// The product of `factors`, or `nil` when a factor is negative or the product overflows `Int`.
    static func product(_ factors: Int...) -> Int? {
        product(factors)
    }

    /// The product of `factors`, or `nil` when a factor is negative or the product overflows `Int`.
    static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// `a + b`, or `nil` on overflow.
    static func sum(_ a: Int, _ b: Int) -> Int? {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : result
    }
}
