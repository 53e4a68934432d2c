/// A four-character code naming a codec in enhanced RTMP (Veovera "Enhanced RTMP" v1 and v2,
/// `ExVideoTagHeader` / `ExAudioTagHeader`), stored big-endian as on the wire.
public struct FLVFourCC: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Builds a code from exactly four ASCII characters.
    public init(_ code: StaticString) {
        precondition(code.utf8CodeUnitCount == 4, "a FourCC has four characters")
        let bytes = code.utf8Start
        rawValue = (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[$1]) }
    }

    /// `avc1`: H.264 / AVC.
    public static let avc1 = FLVFourCC("avc1")
    /// `hvc1`: H.265 / HEVC.
    public static let hvc1 = FLVFourCC("hvc1")
    /// `av01`: AV1.
    public static let av01 = FLVFourCC("av01")
    /// `vp09`: VP9.
    public static let vp09 = FLVFourCC("vp09")
    /// `mp4a`: AAC (enhanced audio).
    public static let mp4a = FLVFourCC("mp4a")
    /// `Opus` (enhanced audio).
    public static let opus = FLVFourCC("Opus")

    public var description: String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: rawValue >> (24 - 8 * $0)) }, as: UTF8.self)
    }
}
