/// Bounds on what one decode call accepts, so hostile input costs bounded stack, time and memory.
///
/// One decode call is one of `readAMF0Value`, `readAMF0Values` or `readAMF3Value`; the counts
/// start again at every call. Resolved references count as if their value were written out again
/// in place, so the decoded tree never exceeds these limits however it was encoded.
public struct AMFDecodingLimits: Sendable, Hashable {
    /// The deepest nesting of containers (objects, ECMA arrays, strict arrays, typed objects,
    /// AMF3 arrays and objects). A top-level object is depth 1. Default: 64.
    ///
    /// Decoding recurses once per level, so this also bounds stack use.
    public var maxDepth: Int
    /// The most values decoded in one call, counting every value at every level (a property
    /// counts through its value). Default: 65,536.
    public var maxElements: Int
    /// The longest string, long string, XML document or property name, in UTF-8 bytes.
    /// Default: 1 MiB (`1 << 20`).
    public var maxStringLength: Int

    /// The limits with every default: depth 64, 65,536 elements, 1 MiB strings.
    public static let `default` = AMFDecodingLimits()

    /// Creates limits.
    /// - Parameters:
    ///   - maxDepth: The deepest container nesting accepted. Default: 64.
    ///   - maxElements: The most values accepted in one decode call. Default: 65,536.
    ///   - maxStringLength: The longest string accepted, in UTF-8 bytes. Default: 1 MiB.
    public init(maxDepth: Int = 64, maxElements: Int = 65_536, maxStringLength: Int = 1 << 20) {
        self.maxDepth = maxDepth
        self.maxElements = maxElements
        self.maxStringLength = maxStringLength
    }
}
