/// The `keyframes` object of `onMetaData` (`times` in seconds, `filepositions` as byte offsets
/// of each keyframe's tag header), held to a fixed capacity so its encoded size is bounded.
///
/// Subsampling, when a fragment has more keyframes than the capacity: entries are kept for
/// keyframes whose ordinal (0, 1, 2, ... in file order) is a multiple of a stride, starting at
/// 1. When the index is full, every second entry is dropped and the stride doubles, so the
/// index always holds evenly spaced keyframes starting with the first, never more than
/// `capacity` of them.
struct FLVKeyframeIndex: Sendable, Hashable {
    let capacity: Int
    private(set) var times: [Double] = []
    private(set) var filePositions: [Double] = []
    private var stride = 1
    private var ordinal = 0

    /// - Parameter capacity: At least 2.
    init(capacity: Int) {
        precondition(capacity >= 2, "a keyframe index holds at least 2 entries, got \(capacity)")
        self.capacity = capacity
    }

    /// Records the next keyframe in file order.
    mutating func append(time: Double, filePosition: Int) {
        defer { ordinal += 1 }
        guard ordinal % stride == 0 else { return }
        if times.count == capacity {
            times = times.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
            filePositions = filePositions.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
            stride *= 2
            guard ordinal % stride == 0 else { return }
        }
        times.append(time)
        filePositions.append(Double(filePosition))
    }
}
