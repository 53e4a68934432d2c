/// A live channel (spec §7, "Channel management"): one RTMP push source, its addresses, and
/// its status.
public struct LiveChannel: Sendable, Hashable, Codable {
    /// A 64-bit decimal id, kept as a string as the API emits it (spec §6).
    public var id: String
    public var name: String
    public var describe: String?
    /// 1 RTMP, 2 HLS, 3 both.
    public var outputSourceType: Int
    public var playerPassword: String?
    public var sourceName: String
    /// 1 RTMP push (the only kind Reel ingests).
    public var sourceType: Int
    /// `<bizId>_<32 hex>`: the stream name in the push address, and the source id.
    public var streamId: String
    /// Output renditions: 0 original, 10 SD, 20 HD.
    public var outputRates: [Int]
    public var watermarkId: Int?
    public var status: ChannelStatus
    /// Unix seconds.
    public var createdAt: Int64

    public init(
        id: String, name: String, describe: String? = nil, outputSourceType: Int, playerPassword: String? = nil,
        sourceName: String, sourceType: Int = 1, streamId: String, outputRates: [Int] = [0], watermarkId: Int? = nil,
        status: ChannelStatus = .noInput, createdAt: Int64
    ) {
        self.id = id
        self.name = name
        self.describe = describe
        self.outputSourceType = outputSourceType
        self.playerPassword = playerPassword
        self.sourceName = sourceName
        self.sourceType = sourceType
        self.streamId = streamId
        self.outputRates = outputRates
        self.watermarkId = watermarkId
        self.status = status
        self.createdAt = createdAt
    }
}

/// `channel_status` (spec §7, "Status / enum tables").
public enum ChannelStatus: Int, Sendable, Hashable, Codable, CaseIterable {
    /// 0: no input stream.
    case noInput = 0
    /// 1: a publisher is live.
    case live = 1
    /// 2: the last publisher ended abnormally.
    case abnormal = 2
    /// 3: closed by StopLVBChannel; pushes are refused.
    case closed = 3
}

/// A page request over channels (DescribeLVBChannelList).
public struct ChannelQuery: Sendable, Hashable {
    public var status: ChannelStatus?
    /// Oldest first when `true` (`ascDesc=0`).
    public var ascending: Bool
    /// 1-based.
    public var pageNo: Int
    public var pageSize: Int

    public init(status: ChannelStatus? = nil, ascending: Bool = true, pageNo: Int = 1, pageSize: Int = 10) {
        self.status = status
        self.ascending = ascending
        self.pageNo = pageNo
        self.pageSize = pageSize
    }
}

/// One page of channels and the count of all that match.
public struct ChannelPage: Sendable, Hashable {
    public var totalCount: Int
    public var channels: [LiveChannel]

    public init(totalCount: Int, channels: [LiveChannel]) {
        self.totalCount = totalCount
        self.channels = channels
    }
}
