import Testing
@testable import CLIPKit

@Suite struct ZeroShotEvaluationTests {
    static func ranking(_ labels: [String]) -> Classification {
        Classification(sortedScores: labels.enumerated().map { LabelScore(label: $1, score: 1 / Float($0 + 2)) })
    }

    @Test func talliesTopOneTopFiveAndConfusions() {
        let classes = ["a", "b", "c", "d", "e", "f", "g"]
        var e = ZeroShotEvaluation(classNames: classes)
        #expect(e.top1Accuracy == 0 && e.top5Accuracy == 0 && e.imageCount == 0)
        e.record(trueClass: 0, Self.ranking(["a", "b", "c", "d", "e", "f", "g"]))  // top-1
        e.record(trueClass: 0, Self.ranking(["b", "c", "d", "e", "a", "f", "g"]))  // top-5 (5th)
        e.record(trueClass: 1, Self.ranking(["a", "c", "d", "e", "f", "b", "g"]))  // 6th: miss
        e.record(trueClass: 2, Self.ranking(["b", "c", "a", "d", "e", "f", "g"]))
        e.record(trueClass: 2, Self.ranking(["b", "a", "c", "d", "e", "f", "g"]))
        e.record(trueClass: 9, Self.ranking(["a"]))             // no such class
        e.record(trueClass: 0, Self.ranking(["zebra", "a"]))    // best label not a class
        e.recordFailure()
        #expect(e.imageCount == 5 && e.failures == 3)
        #expect(e.top1Accuracy == 0.2)
        #expect(e.top5Accuracy == 0.8)
        #expect(e.top1PerClass[0] == 0.5 && e.top1PerClass[1] == 0 && e.top1PerClass[3] == nil)
        #expect(e.top5PerClass[1] == 0 && e.top5PerClass[2] == 1)
        #expect(e.imagesPerClass == [2, 1, 2, 0, 0, 0, 0])
        let confused = e.mostConfused()
        #expect(confused.map { [$0.trueClass, $0.predictedClass, String($0.count)] }
                == [["c", "b", "2"], ["a", "b", "1"], ["b", "a", "1"]])
        #expect(e.mostConfused(limit: 1).count == 1 && e.mostConfused(limit: -1).isEmpty)
    }
}
