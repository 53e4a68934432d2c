import NIOCore
import Testing

@testable import AMF

/// Spec-layout byte builders, so test vectors read like the specification's grammar.
enum Bytes {
    /// The UTF-8 bytes of `text`, no length.
    static func utf8(_ text: String) -> [UInt8] {
        Array(text.utf8)
    }

    /// AMF0 `UTF-8` (§1.3.1): 16-bit length then bytes, as used for property names.
    static func name(_ text: String) -> [UInt8] {
        let count = text.utf8.count
        return [UInt8(count >> 8), UInt8(count & 0xFF)] + utf8(text)
    }

    /// An AMF0 string value: marker 0x02 then `UTF-8`.
    static func string(_ text: String) -> [UInt8] {
        [0x02] + name(text)
    }

    /// The AMF0 object end: empty name and marker 0x09.
    static let objectEnd: [UInt8] = [0x00, 0x00, 0x09]

    /// A big-endian 32-bit count.
    static func uint32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}

/// Decodes `bytes` as one AMF0 value and expects every byte to be consumed.
func decodeAMF0(
    _ bytes: [UInt8],
    limits: AMFDecodingLimits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> AMF0Value {
    var buffer = ByteBuffer(bytes: bytes)
    let value = try buffer.readAMF0Value(limits: limits)
    #expect(buffer.readableBytes == 0, "bytes left after the value", sourceLocation: sourceLocation)
    return value
}

/// Decodes `bytes` as one AMF3 value and expects every byte to be consumed.
func decodeAMF3(
    _ bytes: [UInt8],
    limits: AMFDecodingLimits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> AMF3Value {
    var buffer = ByteBuffer(bytes: bytes)
    let value = try buffer.readAMF3Value(limits: limits)
    #expect(buffer.readableBytes == 0, "bytes left after the value", sourceLocation: sourceLocation)
    return value
}

/// The AMF version a failing-input test reads with.
enum AMFReader: Sendable, CustomTestStringConvertible {
    case amf0Value
    case amf0Values
    case amf3Value

    var testDescription: String {
        switch self {
        case .amf0Value: "readAMF0Value"
        case .amf0Values: "readAMF0Values"
        case .amf3Value: "readAMF3Value"
        }
    }
}

/// Expects reading `bytes` with `reader` to fail with `code` and leave the reader index where it was.
///
/// The bytes sit after a two-byte prefix, so an unchanged reader index is not trivially zero.
/// Decoded values are not printed: a failing limit test could otherwise print an enormous tree.
func expectDecodingError(
    _ code: AMFDecodingError.Code,
    _ bytes: [UInt8],
    reader: AMFReader = .amf0Value,
    limits: AMFDecodingLimits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var buffer = ByteBuffer(bytes: [0xAA, 0xBB] + bytes)
    buffer.moveReaderIndex(forwardBy: 2)
    let readerIndex = buffer.readerIndex
    do throws(AMFDecodingError) {
        switch reader {
        case .amf0Value:
            _ = try buffer.readAMF0Value(limits: limits)
            Issue.record("expected \(code), decoded a value", sourceLocation: sourceLocation)
        case .amf0Values:
            _ = try buffer.readAMF0Values(limits: limits)
            Issue.record("expected \(code), decoded values", sourceLocation: sourceLocation)
        case .amf3Value:
            _ = try buffer.readAMF3Value(limits: limits)
            Issue.record("expected \(code), decoded a value", sourceLocation: sourceLocation)
        }
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(!error.file.isEmpty && error.line > 0, sourceLocation: sourceLocation)
    }
    #expect(buffer.readerIndex == readerIndex, "reader index moved", sourceLocation: sourceLocation)
}

/// Reads every proper prefix of `encoded`'s readable bytes with `reader` (non-empty ones for
/// ``AMFReader/amf0Values``, as an empty body is valid) and describes each one that does not fail
/// with ``AMFDecodingError/Code/truncated`` and an unchanged reader index.
///
/// Checks without `#expect` per prefix, so long encodings stay fast to test byte by byte.
func truncationProblems(in encoded: ByteBuffer, reader: AMFReader) -> [String] {
    var problems: [String] = []
    let shortest = reader == .amf0Values ? 1 : 0
    for length in shortest..<encoded.readableBytes {
        guard var prefix = encoded.getSlice(at: encoded.readerIndex, length: length) else {
            problems.append("no slice of \(length) bytes")
            continue
        }
        do throws(AMFDecodingError) {
            switch reader {
            case .amf0Value:
                _ = try prefix.readAMF0Value()
                problems.append("prefix \(length) decoded a value")
            case .amf0Values:
                _ = try prefix.readAMF0Values()
                problems.append("prefix \(length) decoded values")
            case .amf3Value:
                _ = try prefix.readAMF3Value()
                problems.append("prefix \(length) decoded a value")
            }
        } catch  where error.code == .truncated {
            if prefix.readerIndex != 0 {
                problems.append("prefix \(length) moved the reader index to \(prefix.readerIndex)")
            }
        } catch {
            problems.append("prefix \(length) threw \(error)")
        }
    }
    return problems
}
