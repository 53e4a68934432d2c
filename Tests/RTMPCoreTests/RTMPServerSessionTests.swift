import AMF
import NIOCore
import Testing

@testable import RTMPCore

@Suite struct RTMPServerSessionTests {
    typealias Action = RTMPServerSession.Action

    /// Handshake plus connect, releaseStream, FCPublish, createStream: the server's replies.
    static func connectAndCreateStream(
        _ publisher: inout RTMPTestPublisher,
        _ server: inout RTMPTestServer
    ) throws -> [RTMPMessageBody] {
        var (actions, output) = try server.receive(publisher.handshake.start())
        #expect(actions.isEmpty)
        guard case .complete(let c2) = publisher.handshake.receive(&output) else {
            Issue.record("the publisher rejected the server handshake")
            return []
        }
        var bytes = c2
        for var command in [
            publisher.connect(), publisher.releaseStream("abc_123"), publisher.fcPublish("abc_123"),
            publisher.createStream(),
        ] {
            bytes.writeBuffer(&command)
        }
        (actions, output) = try server.receive(bytes)
        #expect(actions.count == 4)
        return try publisher.receive(output)
    }

    @Test(arguments: [RTMPHandshakeScheme.plain, .digestBlockFirst, .keyBlockFirst], [1, 128, 4096])
    func fullPublisherFlow(scheme: RTMPHandshakeScheme, publisherChunkSize: UInt32) throws {
        var publisher = RTMPTestPublisher(scheme: scheme)
        var server = RTMPTestServer()
        let replies = try Self.connectAndCreateStream(&publisher, &server)

        // connect → Window Ack Size, Set Peer Bandwidth, Set Chunk Size, _result.
        #expect(replies.count == 7)
        #expect(
            Array(replies.prefix(3)) == [
                .windowAcknowledgementSize(2_500_000), .setPeerBandwidth(2_500_000, limitType: .dynamic),
                .setChunkSize(4096),
            ]
        )
        #expect(publisher.decoder.chunkSize == 4096)
        guard case .commandAMF0(let result) = replies[3] else {
            Issue.record("no _result: \(replies[3])")
            return
        }
        #expect(result.name == "_result")
        #expect(result.transactionID == 1)
        #expect(result.commandObject.objectValue?["fmsVer"]?.stringValue != nil)
        #expect(result.commandObject.objectValue?["capabilities"] == .number(31))
        let info = result.arguments.first?.objectValue
        #expect(info?["level"] == .string("status"))
        #expect(info?["code"] == .string("NetConnection.Connect.Success"))
        #expect(info?["objectEncoding"] == .number(0))
        // releaseStream → _result; FCPublish → onFCPublish; createStream → _result(1).
        #expect(replies[4] == .commandAMF0(RTMPCommand(name: "_result", transactionID: 2, arguments: [.undefined])))
        guard case .commandAMF0(let onFCPublish) = replies[5] else {
            Issue.record("no onFCPublish")
            return
        }
        #expect(onFCPublish.name == "onFCPublish")
        #expect(onFCPublish.arguments.first?.objectValue?["code"] == .string("NetStream.Publish.Start"))
        #expect(replies[6] == .commandAMF0(RTMPCommand(name: "_result", transactionID: 4, arguments: [.number(1)])))

        // The publisher switches to its own chunk size, then publishes.
        var bytes = publisher.send(.setChunkSize(publisherChunkSize))
        var publish = publisher.publish("abc_123?txSecret=s3cr3t&txTime=5F5E0FF")
        bytes.writeBuffer(&publish)
        var (actions, output) = try server.receive(bytes)
        #expect(
            actions == [
                .authorizePublish(
                    RTMPPublishRequest(
                        app: "live",
                        tcURL: "rtmp://localhost:1935/live",
                        streamName: "abc_123",
                        query: "txSecret=s3cr3t&txTime=5F5E0FF",
                        publishingType: "live",
                        messageStreamID: 1
                    )
                )
            ]
        )
        #expect(!server.session.isPublishing)

        // The driver accepts: Stream Begin and NetStream.Publish.Start.
        let accepted = server.session.publishAccepted()
        guard case .send(let messages) = accepted else {
            Issue.record("accept did not send: \(accepted)")
            return
        }
        #expect(server.session.isPublishing)
        let acceptance = messages.map { try? RTMPMessageBody(decoding: $0) }
        #expect(acceptance.first == .userControl(.streamBegin(messageStreamID: 1)))
        guard case .commandAMF0(let onStatus) = acceptance.last, let status = onStatus.arguments.first?.objectValue
        else {
            Issue.record("no onStatus")
            return
        }
        #expect(onStatus.name == "onStatus")
        #expect(messages.last?.messageStreamID == 1)
        #expect(status["level"] == .string("status"))
        #expect(status["code"] == .string("NetStream.Publish.Start"))

        // Metadata, sequence headers and frames.
        let metadata: AMFObject = ["width": .number(1280), "height": .number(720), "videocodecid": .number(7)]
        bytes = publisher.metadata(metadata)
        for var media in [
            publisher.video([0x17, 0x00, 0, 0, 0, 1, 2], timestamp: 0),
            publisher.audio([0xAF, 0x00, 0x12, 0x10], timestamp: 0),
            publisher.video(payload(10_000), timestamp: 33),
            publisher.audio([0xAF, 0x01, 9], timestamp: 0xFFFF_FFF0),
            publisher.audio([0xAF, 0x01, 8], timestamp: 0x1_0000_0010),
        ] {
            bytes.writeBuffer(&media)
        }
        (actions, output) = try server.receive(bytes)
        #expect(output.readableBytes == 0)
        #expect(
            actions == [
                .data(timestamp: 0, values: [.string("onMetaData"), .ecmaArray(metadata)]),
                .video(timestamp: 0, payload: ByteBuffer(bytes: [0x17, 0x00, 0, 0, 0, 1, 2])),
                .audio(timestamp: 0, payload: ByteBuffer(bytes: [0xAF, 0x00, 0x12, 0x10])),
                .video(timestamp: 33, payload: ByteBuffer(bytes: payload(10_000))),
                .audio(timestamp: 0xFFFF_FFF0, payload: ByteBuffer(bytes: [0xAF, 0x01, 9])),
                .audio(timestamp: 0x1_0000_0010, payload: ByteBuffer(bytes: [0xAF, 0x01, 8])),
            ]
        )

        // FCUnpublish ends publishing; deleteStream then changes nothing.
        bytes = publisher.fcUnpublish("abc_123")
        var delete = publisher.deleteStream(1)
        bytes.writeBuffer(&delete)
        (actions, output) = try server.receive(bytes)
        #expect(actions.count == 1)
        guard case .unpublished(let reply) = actions.first else {
            Issue.record("not unpublished: \(actions)")
            return
        }
        let codes = reply.compactMap { message -> String? in
            guard case .commandAMF0(let command) = try? RTMPMessageBody(decoding: message) else { return nil }
            return command.arguments.first?.objectValue?["code"]?.stringValue
        }
        #expect(codes == ["NetStream.Unpublish.Success", "NetStream.Unpublish.Success"])
        #expect(!server.session.isPublishing)
        #expect(try publisher.receive(output).count == 2)
    }

    @Test(arguments: ["deleteStream", "closeStream"])
    func deleteStreamAndCloseStreamUnpublish(command: String) throws {
        var publisher = RTMPTestPublisher(scheme: .plain)
        var server = RTMPTestServer()
        _ = try Self.connectAndCreateStream(&publisher, &server)
        _ = try server.receive(publisher.publish("abc"))
        _ = server.session.publishAccepted()
        let bytes =
            command == "deleteStream"
            ? publisher.deleteStream(1) : publisher.command("closeStream", messageStreamID: 1, transactionID: 0)
        let (actions, _) = try server.receive(bytes)
        #expect(actions == [.unpublished(reply: [])])
        #expect(!server.session.isPublishing)
        // A frame still in flight after unpublishing is ignored.
        #expect(try server.receive(publisher.audio([1], timestamp: 5)).actions.isEmpty)
    }

    @Test(arguments: [RTMPStatusCode.publishBadName, .publishRejected, .publishBadConnection])
    func rejectedPublishSendsAnErrorStatusAndCloses(code: RTMPStatusCode) throws {
        var publisher = RTMPTestPublisher(scheme: .digestBlockFirst)
        var server = RTMPTestServer()
        _ = try Self.connectAndCreateStream(&publisher, &server)
        _ = try server.receive(publisher.publish("nope?txSecret=bad"))
        let action = server.session.publishRejected(code: code, description: "Publishing refused.")
        guard case .close(let reply, let error) = action, reply.count == 1 else {
            Issue.record("not closed: \(action)")
            return
        }
        #expect(error == nil)
        guard case .commandAMF0(let onStatus) = try RTMPMessageBody(decoding: reply[0]) else {
            Issue.record("no onStatus")
            return
        }
        #expect(onStatus.name == "onStatus")
        #expect(onStatus.arguments.first?.objectValue?["level"] == .string("error"))
        #expect(onStatus.arguments.first?.objectValue?["code"] == .string(code.rawValue))
    }

    @Test func anAuthorisationOvertakenByUnpublishIsANoOp() throws {
        var publisher = RTMPTestPublisher(scheme: .plain)
        var server = RTMPTestServer()
        _ = try Self.connectAndCreateStream(&publisher, &server)
        _ = try server.receive(publisher.publish("abc"))
        let (actions, _) = try server.receive(publisher.deleteStream(1))
        #expect(actions == [.unpublished(reply: [])])
        #expect(server.session.publishAccepted() == .none)
        #expect(!server.session.isPublishing)
    }

    @Test func pingRequestsAreAnswered() {
        var session = RTMPServerSession()
        let action = session.receivedMessage(RTMPMessageBody.userControl(.pingRequest(timestamp: 77)).message())
        #expect(action == .send([RTMPMessageBody.userControl(.pingResponse(timestamp: 77)).message()]))
        #expect(
            session.receivedMessage(
                RTMPMessageBody.userControl(.setBufferLength(messageStreamID: 1, milliseconds: 100)).message()
            ) == .none
        )
    }

    @Test func acknowledgementsFollowThePeerWindow() {
        var session = RTMPServerSession()
        #expect(session.receivedBytes(10_000) == .none)  // no window yet
        #expect(session.receivedMessage(RTMPMessageBody.windowAcknowledgementSize(5000).message()) == .none)
        #expect(
            session.receivedBytes(4000) == .send([RTMPMessageBody.acknowledgement(sequenceNumber: 14_000).message()])
        )
        #expect(session.receivedBytes(4999) == .none)
        #expect(session.receivedBytes(1) == .send([RTMPMessageBody.acknowledgement(sequenceNumber: 19_000).message()]))
        #expect(
            session.receivedBytes(0x1_0000_0000)
                == .send([RTMPMessageBody.acknowledgement(sequenceNumber: 19_000).message()])
        )
    }

    @Test func commandsBeforeConnectClose() {
        var session = RTMPServerSession()
        let action = session.receivedMessage(
            RTMPMessageBody.commandAMF0(RTMPCommand(name: "createStream", transactionID: 2)).message()
        )
        guard case .close(let reply, let error) = action else {
            Issue.record("not closed: \(action)")
            return
        }
        #expect(error?.code == .unexpectedCommand)
        guard case .commandAMF0(let command) = try? RTMPMessageBody(decoding: reply[0]) else {
            Issue.record("no _error")
            return
        }
        #expect(command.name == "_error")
        #expect(command.transactionID == 2)
        #expect(command.arguments.first?.objectValue?["code"] == .string("NetConnection.Call.Failed"))
    }

    @Test func connectWithoutAnAppIsRejected() {
        var session = RTMPServerSession()
        let action = session.receivedMessage(
            RTMPMessageBody.commandAMF0(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([:])))
                .message()
        )
        guard case .close(let reply, let error) = action,
            case .commandAMF0(let command) = try? RTMPMessageBody(decoding: reply[0])
        else {
            Issue.record("not rejected: \(action)")
            return
        }
        #expect(error?.code == .malformedMessage)
        #expect(command.name == "_error")
        #expect(command.arguments.first?.objectValue?["code"] == .string("NetConnection.Connect.Rejected"))
    }

    @Test func connectWithAQueryInTheApp() throws {
        var publisher = RTMPTestPublisher(scheme: .plain)
        var server = RTMPTestServer()
        var (_, output) = try server.receive(publisher.handshake.start())
        guard case .complete(var bytes) = publisher.handshake.receive(&output) else { return }
        for var command in [publisher.connect(app: "live?token=t"), publisher.createStream(), publisher.publish("s")] {
            bytes.writeBuffer(&command)
        }
        let (actions, _) = try server.receive(bytes)
        guard case .authorizePublish(let request) = actions.last else {
            Issue.record("no authorizePublish: \(actions)")
            return
        }
        #expect(request.app == "live")
        #expect(request.appQuery == "token=t")
        #expect(request.streamName == "s")
        #expect(request.query == nil)
    }

    @Test func secondConnectCloses() throws {
        var publisher = RTMPTestPublisher(scheme: .plain)
        var server = RTMPTestServer()
        _ = try Self.connectAndCreateStream(&publisher, &server)
        let (actions, _) = try server.receive(publisher.connect())
        guard case .close(_, let error) = actions.last else {
            Issue.record("not closed: \(actions)")
            return
        }
        #expect(error?.code == .unexpectedCommand)
    }

    @Test func publishNeedsACreatedStreamAndAName() throws {
        for (name, streamID, code) in [
            ("abc", UInt32(0), RTMPStatusCode.publishBadConnection), ("abc", 7, .publishBadConnection),
            ("", 1, .publishBadName), ("?key=1", 1, .publishBadName),
        ] {
            var publisher = RTMPTestPublisher(scheme: .plain)
            var server = RTMPTestServer()
            _ = try Self.connectAndCreateStream(&publisher, &server)
            let (actions, _) = try server.receive(publisher.publish(name, messageStreamID: streamID))
            guard case .close(let reply, let error) = actions.last,
                case .commandAMF0(let onStatus) = try RTMPMessageBody(decoding: reply[0])
            else {
                Issue.record("not closed: \(actions)")
                continue
            }
            #expect(error != nil)
            #expect(onStatus.arguments.first?.objectValue?["code"] == .string(code.rawValue))
        }
    }

    @Test func secondPublishCloses() throws {
        var publisher = RTMPTestPublisher(scheme: .plain)
        var server = RTMPTestServer()
        _ = try Self.connectAndCreateStream(&publisher, &server)
        _ = try server.receive(publisher.publish("abc"))
        _ = server.session.publishAccepted()
        let (actions, _) = try server.receive(publisher.publish("abc"))
        guard case .close(_, let error) = actions.last else {
            Issue.record("not closed: \(actions)")
            return
        }
        #expect(error?.code == .unexpectedCommand)
    }

    @Test func unknownCommandsGetAnErrorOnlyWhenTheyExpectAnAnswer() throws {
        var publisher = RTMPTestPublisher(scheme: .plain)
        var server = RTMPTestServer()
        _ = try Self.connectAndCreateStream(&publisher, &server)
        var (actions, output) = try server.receive(publisher.command("getStreamLength", arguments: [.string("a")]))
        #expect(actions.count == 1)
        guard case .commandAMF0(let reply) = try publisher.receive(output).first else {
            Issue.record("no reply")
            return
        }
        #expect(reply.name == "_error")
        #expect(reply.arguments.first?.objectValue?["code"] == .string("NetConnection.Call.Failed"))
        (actions, output) = try server.receive(publisher.command("_checkbw", transactionID: 0))
        #expect(actions.isEmpty)
        (actions, output) = try server.receive(publisher.command("onBWDone", transactionID: 9))
        #expect(actions.isEmpty)
    }

    @Test func mediaOnAStreamThatIsNotPublishingIsIgnored() throws {
        var publisher = RTMPTestPublisher(scheme: .plain)
        var server = RTMPTestServer()
        _ = try Self.connectAndCreateStream(&publisher, &server)
        var bytes = publisher.audio([1], timestamp: 0)
        var video = publisher.video([2], timestamp: 0, messageStreamID: 0)
        bytes.writeBuffer(&video)
        let (actions, _) = try server.receive(bytes)
        #expect(actions.isEmpty)
    }

    @Test func amf3CommandsAndDataAreUnderstood() throws {
        var publisher = RTMPTestPublisher(scheme: .plain)
        var server = RTMPTestServer()
        _ = try Self.connectAndCreateStream(&publisher, &server)
        _ = try server.receive(
            publisher.send(
                .commandAMF3(RTMPCommand(name: "publish", transactionID: 0, arguments: [.string("x")])),
                messageStreamID: 1
            )
        )
        #expect(server.session.publishAccepted() != .none)
        let (actions, _) = try server.receive(
            publisher.send(.dataAMF3([.string("onMetaData"), .ecmaArray(["a": .number(1)])]), messageStreamID: 1)
        )
        #expect(actions == [.data(timestamp: 0, values: [.string("onMetaData"), .ecmaArray(["a": .number(1)])])])
    }
}
