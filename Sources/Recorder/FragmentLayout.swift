import Foundation
import Store

/// Where fragments are staged while they are written, and how an unfinished one is named so
/// recovery knows what it belongs to: `fragments/<channelId>/<vid>.t<taskId>.s<start ms>.flv.part`
/// in the data folder. Finished fragments live in the ``BlobStore`` (``LocalBlobStore``:
/// `library/…`); earlier versions kept them as `fragments/<channelId>/<vid>.flv`, still served
/// from the path their row records.
public struct FragmentLayout: Sendable, Hashable {
    /// The data folder.
    public var dataDirectory: String

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    /// `<data>/fragments`.
    public var fragmentsDirectory: String { (dataDirectory as NSString).appendingPathComponent("fragments") }

    /// What an unfinished fragment's name says.
    public struct PartName: Sendable, Hashable {
        public var channelId: String
        public var vid: String
        public var taskId: Int64
        /// Wall-clock time of the fragment's first tag, Unix milliseconds.
        public var startTime: Int64
    }

    public func absolutePath(relative: String) -> String {
        (dataDirectory as NSString).appendingPathComponent(relative)
    }

    func channelDirectory(_ channelId: String) -> String {
        (fragmentsDirectory as NSString).appendingPathComponent(channelId)
    }

    func partPath(_ name: PartName) -> String {
        (channelDirectory(name.channelId) as NSString).appendingPathComponent(
            "\(name.vid).t\(name.taskId).s\(name.startTime).flv.part"
        )
    }

    /// Parses `<vid>.t<taskId>.s<ms>.flv.part` in the folder of `channelId`.
    static func parsePartName(_ fileName: String, channelId: String) -> PartName? {
        guard fileName.hasSuffix(".flv.part") else { return nil }
        let fields = fileName.dropLast(".flv.part".count).split(separator: ".")
        guard fields.count == 3, fields[1].first == "t", fields[2].first == "s",
            let taskId = Int64(fields[1].dropFirst()), let start = Int64(fields[2].dropFirst()),
            isVid(String(fields[0]))
        else { return nil }
        return PartName(channelId: channelId, vid: String(fields[0]), taskId: taskId, startTime: start)
    }

    /// A vid: `<decimal bizId>_<32 lowercase hex>`.
    public static func isVid(_ text: String) -> Bool { RecordFragment.isVid(text) }

    /// A new vid: `<bizId>_<32 random hex>`.
    public static func newVid(bizId: String) -> String {
        var hex = ""
        for _ in 0..<2 { hex += String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }
        return bizId + "_" + hex
    }

    /// A new 20-digit file id.
    public static func newFileId() -> String {
        String(UInt64.random(in: 10_000_000_000_000_000_000...UInt64.max))
    }
}
