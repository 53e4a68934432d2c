/// An error answered by the API: an access-layer `code`, its `codeDesc`, and a message that
/// carries the video-cloud (LVB backend) code in parentheses where one applies, as
/// `(20301)channel does not exist`.
///
/// See spec/lvb-api.md §5 for the code tables.
public struct LVBError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The access-layer code class of an error (spec §5).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Int, Sendable {
            case invalidParameter = 4000
            case authFailure = 4100
            case requestExpired = 4200
            case unauthorizedOperation = 4300
            case requestLimitExceeded = 4400
            case replay = 4500
            case resourceNotFound = 5000
            case failedOperation = 5100
            case partialSuccess = 5400
            case internalError = 6000
            case unsupportedOperation = 6100
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// 4000: a parameter is missing, malformed, or names nothing that exists.
        public static let invalidParameter = Code(.invalidParameter)
        /// 4100: the signature or the SecretId does not verify.
        public static let authFailure = Code(.authFailure)
        /// 4200: the request is expired.
        public static let requestExpired = Code(.requestExpired)
        /// 4300: the caller may not do this.
        public static let unauthorizedOperation = Code(.unauthorizedOperation)
        /// 4400: a quota or rate limit is exceeded.
        public static let requestLimitExceeded = Code(.requestLimitExceeded)
        /// 4500: a replayed request (Nonce seen before, or Timestamp outside the window).
        public static let replay = Code(.replay)
        /// 5000: the resource does not exist.
        public static let resourceNotFound = Code(.resourceNotFound)
        /// 5100: the operation failed in the backend.
        public static let failedOperation = Code(.failedOperation)
        /// 5400: a batch partially succeeded.
        public static let partialSuccess = Code(.partialSuccess)
        /// 6000: an internal error.
        public static let internalError = Code(.internalError)
        /// 6100: the action is not supported.
        public static let unsupportedOperation = Code(.unsupportedOperation)

        /// The numeric code put in the envelope's `code`.
        public var rawValue: Int { base.rawValue }

        /// The envelope's `codeDesc` for this code.
        public var codeDesc: String {
            switch base {
            case .invalidParameter: "InvalidParameter"
            case .authFailure: "AuthFailure"
            case .requestExpired: "RequestExpired"
            case .unauthorizedOperation: "UnauthorizedOperation"
            case .requestLimitExceeded: "RequestLimitExceeded"
            case .replay: "RequestReplayed"
            case .resourceNotFound: "ResourceNotFound"
            case .failedOperation: "FailedOperation"
            case .partialSuccess: "PartialSuccess"
            case .internalError: "InternalError"
            case .unsupportedOperation: "UnsupportedOperation"
            }
        }

        public var description: String { "\(rawValue) \(codeDesc)" }
    }

    /// Video-cloud (LVB backend) codes that Reel reports inside messages (spec §5).
    public enum VideoCloudCode: Int, Hashable, Sendable {
        case badInput = 1000
        case createChannelFailed = 20100
        case getChannelFailed = 20102
        case modifyChannelFailed = 20103
        case listChannelsFailed = 20104
        case deleteChannelFailed = 20105
        case closeChannelFailed = 20106
        case openChannelFailed = 20107
        case badSourceProtocol = 20112
        case badReceiverProtocol = 20113
        case modifyChannelStatusFailed = 20300
        case channelDoesNotExist = 20301
        case createRecordTaskFailed = 20320
        case listRecordTasksFailed = 20321
        case recordTaskTimeConflict = 20322
        case invalidRecordTime = 20323
        case modifyRecordTaskFailed = 20326
        case recordTaskDoesNotExist = 20327
    }

    public var code: Code
    public var videoCloudCode: VideoCloudCode?
    /// The human-readable reason, without the video-cloud code prefix.
    public var reason: String

    public init(_ code: Code, _ videoCloudCode: VideoCloudCode? = nil, _ reason: String) {
        self.code = code
        self.videoCloudCode = videoCloudCode
        self.reason = reason
    }

    /// The envelope's `message`: `(<video-cloud code>)<reason>` or the reason alone.
    public var message: String {
        if let videoCloudCode { "(\(videoCloudCode.rawValue))\(reason)" } else { reason }
    }

    public var description: String { "\(code.rawValue) \(code.codeDesc): \(message)" }
}

extension LVBError {
    /// 4000 for a missing required parameter.
    public static func missingParameter(_ name: String) -> LVBError {
        LVBError(.invalidParameter, .badInput, "missing required parameter '\(name)'")
    }

    /// 4000 for a parameter whose value cannot be used.
    public static func invalidParameter(_ name: String, _ why: String) -> LVBError {
        LVBError(.invalidParameter, .badInput, "invalid parameter '\(name)': \(why)")
    }

    /// 4000 + 20301 for a channel id that names no channel.
    public static func channelDoesNotExist(_ id: String) -> LVBError {
        LVBError(.invalidParameter, .channelDoesNotExist, "channel '\(id)' does not exist")
    }
}
