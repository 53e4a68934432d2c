import AMF
import NIOCore

extension RTMPServerSession {
    /// The driver read `count` bytes from the connection (handshake bytes included).
    ///
    /// Once the peer has sent a Window Acknowledgement Size, an Acknowledgement with the
    /// total received (mod 2³²) is due each time another window's worth has arrived (§5.4.3).
    /// - Returns: ``Action/send(_:)`` with an Acknowledgement, or ``Action/none``.
    public mutating func receivedBytes(_ count: Int) -> Action {
        bytesReceived += UInt64(count)
        guard let window = peerWindowAcknowledgementSize, window > 0,
            bytesReceived - bytesAcknowledged >= window
        else {
            return .none
        }
        bytesAcknowledged = bytesReceived
        return .send([
            RTMPMessageBody.acknowledgement(sequenceNumber: UInt32(truncatingIfNeeded: bytesReceived)).message()
        ])
    }

    /// The chunk decoder produced `message`.
    ///
    /// Feed messages from ``RTMPChunkDecoder``, which has already applied Set Chunk Size and
    /// Abort and split aggregates. Audio, video and data on a message stream that is not
    /// publishing (before `publish`, or in flight after unpublishing) are ignored.
    /// - Parameter message: The next message from the peer.
    /// - Returns: What to do about it.
    public mutating func receivedMessage(_ message: RTMPMessage) -> Action {
        if case .closed = state {
            preconditionFailure("RTMPServerSession.receivedMessage called in state \(state)")
        }
        let body: RTMPMessageBody
        do {
            body = try RTMPMessageBody(decoding: message, limits: configuration.limits.amf)
        } catch {
            return close(error: error)
        }
        switch body {
        case .windowAcknowledgementSize(let size):
            peerWindowAcknowledgementSize = UInt64(size)
            return .none
        case .userControl(.pingRequest(let timestamp)):
            return .send([RTMPMessageBody.userControl(.pingResponse(timestamp: timestamp)).message()])
        case .setChunkSize, .abort, .acknowledgement, .setPeerBandwidth, .userControl, .unsupported:
            // Chunk size and Abort were applied by the chunk decoder; bandwidth limits and
            // other user control events do not concern a receiving server; shared objects
            // and unknown types are not supported and, like other servers, ignored.
            return .none
        case .aggregate:
            preconditionFailure("aggregate messages are split by RTMPChunkDecoder before the session sees them")
        case .audio(let payload):
            guard publishingStreamID == message.messageStreamID else { return .none }
            return .audio(timestamp: message.timestamp, payload: payload)
        case .video(let payload):
            guard publishingStreamID == message.messageStreamID else { return .none }
            return .video(timestamp: message.timestamp, payload: payload)
        case .dataAMF0(let values), .dataAMF3(let values):
            guard publishingStreamID == message.messageStreamID else { return .none }
            let stripped = values.first?.stringValue == "@setDataFrame" ? Array(values.dropFirst()) : values
            return .data(timestamp: message.timestamp, values: stripped)
        case .commandAMF0(let command), .commandAMF3(let command):
            return receivedCommand(command, messageStreamID: message.messageStreamID)
        }
    }

    /// The driver authorised the request from ``Action/authorizePublish(_:)``.
    /// - Returns: ``Action/send(_:)`` with Stream Begin and `NetStream.Publish.Start`, or
    ///   ``Action/none`` if the peer unpublished or the session closed meanwhile.
    public mutating func publishAccepted() -> Action {
        switch state {
        case .awaitingPublishAuthorization(let connection, let request):
            state = .publishing(connection, request)
            return .send([
                RTMPMessageBody.userControl(.streamBegin(messageStreamID: request.messageStreamID)).message(),
                Self.onStatus(
                    level: "status",
                    code: .publishStart,
                    description: "\(request.streamName) is now published.",
                    messageStreamID: request.messageStreamID
                ),
            ])
        case .connected, .closed:
            return .none
        case .awaitingConnect, .publishing:
            preconditionFailure("RTMPServerSession.publishAccepted called in state \(state)")
        }
    }

    /// The driver refused the request from ``Action/authorizePublish(_:)``.
    /// - Parameters:
    ///   - code: The `onStatus` code, such as ``RTMPStatusCode/publishBadName``,
    ///     ``RTMPStatusCode/publishRejected`` or ``RTMPStatusCode/publishBadConnection``.
    ///   - description: The `onStatus` description; the publisher sees it, so keep
    ///     credentials out.
    /// - Returns: ``Action/close(reply:error:)`` with the error `onStatus`, or ``Action/none``
    ///   if the peer unpublished or the session closed meanwhile.
    public mutating func publishRejected(code: RTMPStatusCode, description: String) -> Action {
        switch state {
        case .awaitingPublishAuthorization(_, let request):
            state = .closed
            return .close(
                reply: [
                    Self.onStatus(
                        level: "error",
                        code: code,
                        description: description,
                        messageStreamID: request.messageStreamID
                    )
                ],
                error: nil
            )
        case .connected, .closed:
            return .none
        case .awaitingConnect, .publishing:
            preconditionFailure("RTMPServerSession.publishRejected called in state \(state)")
        }
    }

    private var publishingStreamID: UInt32? {
        switch state {
        case .publishing(_, let request): request.messageStreamID
        default: nil
        }
    }

    private mutating func receivedCommand(_ command: RTMPCommand, messageStreamID: UInt32) -> Action {
        switch command.name {
        case "_result", "_error", "onStatus", "onBWDone":
            // Answers and notifications; this server calls nothing on the client.
            return .none
        case "connect":
            return receivedConnect(command)
        default:
            break
        }
        let connection: Connection
        switch state {
        case .awaitingConnect:
            return close(
                reply: command.transactionID == 0 ? [] : [Self.callFailed(command, "connect first")],
                error: RTMPError(.unexpectedCommand, "\(command.name) before connect")
            )
        case .connected(let current), .awaitingPublishAuthorization(let current, _), .publishing(let current, _):
            connection = current
        case .closed:
            preconditionFailure("RTMPServerSession.receivedCommand called in state \(state)")
        }

        switch command.name {
        case "releaseStream":
            return command.transactionID == 0 ? .none : .send([Self.result(command, .undefined)])
        case "FCPublish":
            let name = command.arguments.first?.stringValue?.splitQuery().name ?? ""
            return .send([
                Self.command("onFCPublish", info: Self.info(level: "status", code: .publishStart, description: name))
            ])
        case "createStream":
            var connection = connection
            let id = connection.nextStreamID
            connection.nextStreamID += 1
            replaceConnection(with: connection)
            return .send([Self.result(command, .number(Double(id)))])
        case "publish":
            return receivedPublish(command, messageStreamID: messageStreamID, connection: connection)
        case "FCUnpublish":
            guard case .publishing(let connection, let request) = state else {
                return unpublishIfAuthorizing(messageStreamID: nil)
            }
            state = .connected(connection)
            return .unpublished(reply: [
                Self.command(
                    "onFCUnpublish",
                    info: Self.info(level: "status", code: .unpublishSuccess, description: request.streamName)
                ),
                Self.onStatus(
                    level: "status",
                    code: .unpublishSuccess,
                    description: "\(request.streamName) is now unpublished.",
                    messageStreamID: request.messageStreamID
                ),
            ])
        case "deleteStream":
            guard let id = command.arguments.first?.numberValue, let streamID = UInt32(exactly: id) else {
                return .none
            }
            return unpublish(messageStreamID: streamID)
        case "closeStream":
            return unpublish(messageStreamID: messageStreamID)
        default:
            return command.transactionID == 0 ? .none : .send([Self.callFailed(command, "Method not found")])
        }
    }

    private mutating func receivedConnect(_ command: RTMPCommand) -> Action {
        guard case .awaitingConnect = state else {
            return close(
                reply: [Self.callFailed(command, "already connected")],
                error: RTMPError(.unexpectedCommand, "second connect")
            )
        }
        let properties = command.commandObject.objectValue
        guard let appValue = properties?["app"]?.stringValue else {
            return close(
                reply: [
                    Self.error(command, Self.info(level: "error", code: .connectRejected, description: "No app given."))
                ],
                error: RTMPError(.malformedMessage, "connect without an app")
            )
        }
        let (app, appQuery) = appValue.splitQuery()
        state = .connected(Connection(app: app, appQuery: appQuery, tcURL: properties?["tcUrl"]?.stringValue))
        var information = Self.info(level: "status", code: .connectSuccess, description: "Connection succeeded.")
        information["objectEncoding"] = .number(properties?["objectEncoding"]?.numberValue ?? 0)
        let serverProperties: AMFObject = [
            "fmsVer": .string("FMS/3,5,7,7009"),
            "capabilities": .number(31),
            "mode": .number(1),
        ]
        return .send([
            RTMPMessageBody.windowAcknowledgementSize(configuration.windowAcknowledgementSize).message(),
            RTMPMessageBody.setPeerBandwidth(configuration.peerBandwidth, limitType: .dynamic).message(),
            RTMPMessageBody.setChunkSize(configuration.chunkSize).message(),
            RTMPMessageBody.commandAMF0(
                RTMPCommand(
                    name: "_result",
                    transactionID: command.transactionID,
                    commandObject: .object(serverProperties),
                    arguments: [.object(information)]
                )
            ).message(),
        ])
    }

    private mutating func receivedPublish(
        _ command: RTMPCommand,
        messageStreamID: UInt32,
        connection: Connection
    ) -> Action {
        guard case .connected = state else {
            return close(
                reply: [
                    Self.onStatus(
                        level: "error",
                        code: .publishBadConnection,
                        description: "Already publishing.",
                        messageStreamID: messageStreamID
                    )
                ],
                error: RTMPError(.unexpectedCommand, "publish while publishing")
            )
        }
        guard messageStreamID != 0, messageStreamID < connection.nextStreamID else {
            return close(
                reply: [
                    Self.onStatus(
                        level: "error",
                        code: .publishBadConnection,
                        description: "Call createStream first.",
                        messageStreamID: messageStreamID
                    )
                ],
                error: RTMPError(.unexpectedCommand, "publish on message stream \(messageStreamID)")
            )
        }
        guard let name = command.arguments.first?.stringValue, !name.splitQuery().name.isEmpty else {
            return close(
                reply: [
                    Self.onStatus(
                        level: "error",
                        code: .publishBadName,
                        description: "No stream name given.",
                        messageStreamID: messageStreamID
                    )
                ],
                error: RTMPError(.malformedMessage, "publish without a stream name")
            )
        }
        let (streamName, query) = name.splitQuery()
        let request = RTMPPublishRequest(
            app: connection.app,
            appQuery: connection.appQuery,
            tcURL: connection.tcURL,
            streamName: streamName,
            query: query,
            publishingType: command.arguments.dropFirst().first?.stringValue,
            messageStreamID: messageStreamID
        )
        state = .awaitingPublishAuthorization(connection, request)
        return .authorizePublish(request)
    }

    /// Ends publishing of `messageStreamID` by `deleteStream`
    /// or `closeStream`.
    private mutating func unpublish(messageStreamID: UInt32) -> Action {
        guard case .publishing(let connection, let request) = state, request.messageStreamID == messageStreamID else {
            return unpublishIfAuthorizing(messageStreamID: messageStreamID)
        }
        state = .connected(connection)
        return .unpublished(reply: [])
    }

    /// The peer gave up a publish the driver is still authorising: the pending answer
    /// becomes a no-op (see ``publishAccepted()``).
    private mutating func unpublishIfAuthorizing(messageStreamID: UInt32?) -> Action {
        guard case .awaitingPublishAuthorization(let connection, let request) = state,
            messageStreamID == nil || messageStreamID == request.messageStreamID
        else {
            return .none
        }
        state = .connected(connection)
        return .unpublished(reply: [])
    }

    private mutating func replaceConnection(with connection: Connection) {
        switch state {
        case .connected:
            state = .connected(connection)
        case .awaitingPublishAuthorization(_, let request):
            state = .awaitingPublishAuthorization(connection, request)
        case .publishing(_, let request):
            state = .publishing(connection, request)
        case .awaitingConnect, .closed:
            preconditionFailure("RTMPServerSession.replaceConnection called in state \(state)")
        }
    }

    private mutating func close(reply: [RTMPMessage] = [], error: RTMPError) -> Action {
        state = .closed
        return .close(reply: reply, error: error)
    }

    // MARK: Replies

    private static func info(level: String, code: RTMPStatusCode, description: String) -> AMFObject {
        ["level": .string(level), "code": .string(code.rawValue), "description": .string(description)]
    }

    private static func command(_ name: String, info: AMFObject, messageStreamID: UInt32 = 0) -> RTMPMessage {
        RTMPMessageBody.commandAMF0(
            RTMPCommand(name: name, transactionID: 0, commandObject: .null, arguments: [.object(info)])
        ).message(messageStreamID: messageStreamID)
    }

    static func onStatus(
        level: String,
        code: RTMPStatusCode,
        description: String,
        messageStreamID: UInt32
    ) -> RTMPMessage {
        command(
            "onStatus",
            info: info(level: level, code: code, description: description),
            messageStreamID: messageStreamID
        )
    }

    private static func result(_ command: RTMPCommand, _ value: AMF0Value) -> RTMPMessage {
        RTMPMessageBody.commandAMF0(
            RTMPCommand(name: "_result", transactionID: command.transactionID, commandObject: .null, arguments: [value])
        ).message()
    }

    private static func error(_ command: RTMPCommand, _ information: AMFObject) -> RTMPMessage {
        RTMPMessageBody.commandAMF0(
            RTMPCommand(
                name: "_error",
                transactionID: command.transactionID,
                commandObject: .null,
                arguments: [.object(information)]
            )
        ).message()
    }

    private static func callFailed(_ command: RTMPCommand, _ reason: String) -> RTMPMessage {
        error(command, info(level: "error", code: .callFailed, description: "\(command.name): \(reason)."))
    }
}
