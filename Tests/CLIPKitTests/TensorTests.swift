import Testing
@testable import CLIPKit

@Suite struct TensorTests {
    @Test func shapeMustMatchScalarCount() {
        #expect(Tensor(shape: [2, 3], scalars: [Float](repeating: 1, count: 6)) != nil)
        #expect(Tensor(shape: [2, 3], scalars: [1, 2]) == nil)
        #expect(Tensor(zeros: [4, 2]).count == 8)
    }
}
