import AMF
import NIOCore

/// A command message's content (RTMP spec 1.0 §7.1.1, §7.2): the command name, a
/// transaction ID, a command object (`null` when the command has none) and further arguments.
public struct RTMPCommand: Hashable, Sendable {
    /// The command name, such as `connect`, `publish`, `_result` or `onStatus`.
    public var name: String
    /// The transaction ID; 0 for commands that expect no `_result`.
    public var transactionID: Double
    /// The command object: an object for `connect` and `_result`, otherwise usually `null`.
    public var commandObject: AMF0Value
    /// The optional arguments after the command object.
    public var arguments: [AMF0Value]

    /// Creates a command.
    public init(name: String, transactionID: Double, commandObject: AMF0Value = .null, arguments: [AMF0Value] = []) {
        self.name = name
        self.transactionID = transactionID
        self.commandObject = commandObject
        self.arguments = arguments
    }

    /// Decodes a command from AMF0 values: a string name, then a number transaction ID and a
    /// command object, which senders of notifications sometimes leave out.
    init(decoding payload: ByteBuffer, limits: AMFDecodingLimits) throws(RTMPError) {
        let values = try ByteBuffer.decodeAMF0Values(payload, limits: limits, context: "command")
        guard let name = values.first?.stringValue else {
            throw RTMPError(.malformedMessage, "command does not start with a name")
        }
        let transactionID: Double
        switch values.dropFirst().first {
        case nil: transactionID = 0
        case .number(let number): transactionID = number
        case .some: throw RTMPError(.malformedMessage, "command \(name) has no numeric transaction ID")
        }
        self.init(
            name: name,
            transactionID: transactionID,
            commandObject: values.dropFirst(2).first ?? .null,
            arguments: Array(values.dropFirst(3))
        )
    }

    /// Writes the command as AMF0 values.
    func write(into buffer: inout ByteBuffer) {
        buffer.writeAMF0Value(.string(name))
        buffer.writeAMF0Value(.number(transactionID))
        buffer.writeAMF0Value(commandObject)
        for argument in arguments {
            buffer.writeAMF0Value(argument)
        }
    }
}

extension ByteBuffer {
    /// Decodes a whole payload as AMF0 values, mapping AMF errors to ``RTMPError``.
    static func decodeAMF0Values(
        _ payload: ByteBuffer,
        limits: AMFDecodingLimits,
        context: String
    ) throws(RTMPError)
        -> [AMF0Value]
    {
        var payload = payload
        do {
            return try payload.readAMF0Values(limits: limits)
        } catch {
            throw RTMPError(.amfDecodingFailed, "\(context): \(error)", file: error.file, line: error.line)
        }
    }
}
