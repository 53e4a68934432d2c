/// A NetConnection or NetStream status code, the `code` property of the information object
/// in `_result`, `_error` and `onStatus` replies (RTMP spec 1.0 §7.2.1.1, §7.2.2).
public struct RTMPStatusCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// `connect` succeeded.
    public static let connectSuccess = RTMPStatusCode(rawValue: "NetConnection.Connect.Success")
    /// `connect` was refused (for example without an `app`).
    public static let connectRejected = RTMPStatusCode(rawValue: "NetConnection.Connect.Rejected")
    /// A command the server does not implement or cannot run now.
    public static let callFailed = RTMPStatusCode(rawValue: "NetConnection.Call.Failed")
    /// Publishing started.
    public static let publishStart = RTMPStatusCode(rawValue: "NetStream.Publish.Start")
    /// The stream name is unknown, malformed or already in use.
    public static let publishBadName = RTMPStatusCode(rawValue: "NetStream.Publish.BadName")
    /// Publishing was refused, for example by failed authentication.
    public static let publishRejected = RTMPStatusCode(rawValue: "NetStream.Publish.Rejected")
    /// Publishing was refused because of the connection's state.
    public static let publishBadConnection = RTMPStatusCode(rawValue: "NetStream.Publish.BadConnection")
    /// Publishing ended.
    public static let unpublishSuccess = RTMPStatusCode(rawValue: "NetStream.Unpublish.Success")

    public var description: String {
        rawValue
    }
}
