/// The share of ``AMFDecodingLimits`` one decode call has used: open containers, values decoded,
/// and the deepest level reached, so that a resolved reference can be charged for its whole subtree.
///
/// AMF0 and the AMF3 values inside it draw on the same budget.
struct AMFDecodingBudget {
    /// What a decoded value costs when a reference repeats it: its values and its container height.
    struct Footprint {
        /// The value itself plus everything decoded inside it.
        var elements: Int
        /// Container levels the value spans: 0 for a scalar, 1 for a flat container.
        var height: Int

        /// The footprint of a value that is not a container.
        static let scalar = Footprint(elements: 1, height: 0)
    }

    /// Where a container started, returned by ``enterContainer(file:line:)`` for ``exitContainer(_:)``.
    struct Mark {
        fileprivate var elements: Int
        fileprivate var deepest: Int
    }

    private let limits: AMFDecodingLimits
    /// Containers open around the value being decoded.
    private var depth = 0
    /// Values decoded so far.
    private var elements = 0
    /// The deepest level reached inside the innermost open container.
    private var deepest = 0

    init(limits: AMFDecodingLimits) {
        self.limits = limits
    }

    /// Charges one decoded value.
    mutating func countElement(file: String = #fileID, line: Int = #line) throws(AMFDecodingError) {
        try charge(elements: 1, file: file, line: line)
    }

    /// Checks a string's byte length before it is read.
    func checkStringLength(_ length: Int, file: String = #fileID, line: Int = #line) throws(AMFDecodingError) {
        guard length <= limits.maxStringLength else {
            throw AMFDecodingError(.stringTooLong, file: file, line: line)
        }
    }

    /// Opens a container (already counted with ``countElement(file:line:)``) one level deeper.
    mutating func enterContainer(file: String = #fileID, line: Int = #line) throws(AMFDecodingError) -> Mark {
        guard depth < limits.maxDepth else {
            throw AMFDecodingError(.depthExceeded, file: file, line: line)
        }
        depth += 1
        let mark = Mark(elements: elements, deepest: deepest)
        deepest = depth
        return mark
    }

    /// Closes the innermost container and returns its footprint.
    mutating func exitContainer(_ mark: Mark) -> Footprint {
        let footprint = Footprint(elements: elements - mark.elements + 1, height: deepest - depth + 1)
        depth -= 1
        deepest = max(mark.deepest, deepest)
        return footprint
    }

    /// Charges a resolved reference as if its value had been decoded here again.
    mutating func admit(_ footprint: Footprint, file: String = #fileID, line: Int = #line) throws(AMFDecodingError) {
        guard footprint.height <= limits.maxDepth - depth else {
            throw AMFDecodingError(.depthExceeded, file: file, line: line)
        }
        try charge(elements: footprint.elements, file: file, line: line)
        deepest = max(deepest, depth + footprint.height)
    }

    private mutating func charge(elements count: Int, file: String, line: Int) throws(AMFDecodingError) {
        guard count <= limits.maxElements - elements else {
            throw AMFDecodingError(.tooManyElements, file: file, line: line)
        }
        elements += count
    }
}
