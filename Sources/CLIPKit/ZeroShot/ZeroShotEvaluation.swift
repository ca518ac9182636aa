/// Accuracy of a zero-shot classifier on labelled images: top-1 and top-5, per class, and the
/// classes most often taken for one another. Feed it one ``Classification`` per image whose
/// labels are the class names (as a classifier built from them gives).
public struct ZeroShotEvaluation: Sendable {
    /// One class pair and how many images of `trueClass` were predicted as `predictedClass`.
    public struct Confusion: Sendable, Hashable {
        /// The images' class.
        public let trueClass: String
        /// The class they were taken for (their best label).
        public let predictedClass: String
        /// How many images.
        public let count: Int
    }

    /// The classes, in order; the labels of the classifications.
    public let classNames: [String]
    /// `confusion[t][p]`: images of class `t` whose best label was class `p`.
    public private(set) var confusion: [[Int]]
    /// Images per class whose class was among the 5 best labels.
    public private(set) var top5Hits: [Int]
    /// Images that could not be classified (unreadable files); not part of any accuracy.
    public private(set) var failures = 0

    private let index: [String: Int]

    /// An empty tally over `classNames` (distinct, as classifier labels are).
    public init(classNames: [String]) {
        self.classNames = classNames
        confusion = Array(repeating: Array(repeating: 0, count: classNames.count), count: classNames.count)
        top5Hits = Array(repeating: 0, count: classNames.count)
        var index = [String: Int]()
        for (i, name) in classNames.enumerated() where index[name] == nil { index[name] = i }
        self.index = index
    }

    /// Counts one image of class `trueClass` (an index into ``classNames``). A classification
    /// whose best label is not a class, or an index out of range, counts as a failure.
    public mutating func record(trueClass: Int, _ classification: Classification) {
        guard classNames.indices.contains(trueClass), let predicted = index[classification.label] else {
            failures += 1
            return
        }
        confusion[trueClass][predicted] += 1
        if classification.top(5).contains(where: { $0.label == classNames[trueClass] }) {
            top5Hits[trueClass] += 1
        }
    }

    /// Counts an image that could not be classified.
    public mutating func recordFailure() {
        failures += 1
    }

    /// Images counted per class.
    public var imagesPerClass: [Int] { confusion.map { $0.reduce(0, +) } }

    /// Images classified (failures excluded).
    public var imageCount: Int { imagesPerClass.reduce(0, +) }

    /// Fraction of images whose best label is their class (0 with no images).
    public var top1Accuracy: Double {
        ratio(classNames.indices.reduce(0) { $0 + confusion[$1][$1] }, imageCount)
    }

    /// Fraction of images whose class is among their 5 best labels (0 with no images).
    public var top5Accuracy: Double { ratio(top5Hits.reduce(0, +), imageCount) }

    /// Top-1 accuracy of each class, `nil` for a class without images.
    public var top1PerClass: [Double?] {
        classNames.indices.map { c in imagesPerClass[c] == 0 ? nil : ratio(confusion[c][c], imagesPerClass[c]) }
    }

    /// Top-5 accuracy of each class, `nil` for a class without images.
    public var top5PerClass: [Double?] {
        classNames.indices.map { c in imagesPerClass[c] == 0 ? nil : ratio(top5Hits[c], imagesPerClass[c]) }
    }

    /// The off-diagonal pairs with the most images, most first; ties by true class, then by
    /// predicted class, in class order.
    public func mostConfused(limit: Int = 10) -> [Confusion] {
        var pairs = [(t: Int, p: Int, count: Int)]()
        for t in classNames.indices {
            for p in classNames.indices where p != t && confusion[t][p] > 0 {
                pairs.append((t, p, confusion[t][p]))
            }
        }
        pairs.sort { $0.count != $1.count ? $0.count > $1.count : ($0.t != $1.t ? $0.t < $1.t : $0.p < $1.p) }
        return pairs.prefix(max(0, limit)).map { Confusion(trueClass: classNames[$0.t], predictedClass: classNames[$0.p], count: $0.count) }
    }

    private func ratio(_ part: Int, _ whole: Int) -> Double {
        whole == 0 ? 0 : Double(part) / Double(whole)
    }
}
