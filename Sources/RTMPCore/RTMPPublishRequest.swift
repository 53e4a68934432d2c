/// A publisher's request to publish, for the driver to authorise (the `publish` command,
/// RTMP spec 1.0 §7.2.2.6, with the `connect` parameters it applies to).
///
/// For `rtmp://host/live/abc_123?txSecret=…&txTime=…` this is app `live`, stream name
/// `abc_123` and query `txSecret=…&txTime=…`. The query carries credentials: never log it.
public struct RTMPPublishRequest: Hashable, Sendable {
    /// The application from `connect`'s `app`, without any query string.
    public var app: String
    /// The query string that followed the app in `connect`'s `app`, if any (some encoders
    /// put the credentials there).
    public var appQuery: String?
    /// `connect`'s `tcUrl`, if sent.
    public var tcURL: String?
    /// The stream name, without the query string.
    public var streamName: String
    /// The text after the first `?` in the published name, if any.
    public var query: String?
    /// The publishing type argument: usually `live`, sometimes `record` or `append`.
    public var publishingType: String?
    /// The message stream the publisher will send media on.
    public var messageStreamID: UInt32

    /// Creates a request.
    public init(
        app: String,
        appQuery: String? = nil,
        tcURL: String? = nil,
        streamName: String,
        query: String? = nil,
        publishingType: String? = "live",
        messageStreamID: UInt32
    ) {
        self.app = app
        self.appQuery = appQuery
        self.tcURL = tcURL
        self.streamName = streamName
        self.query = query
        self.publishingType = publishingType
        self.messageStreamID = messageStreamID
    }
}
