/// A value of AMF3 (AMF3 specification §3), as publishers send it inside AMF0 data
/// messages after the AVM+ switch.
///
/// References (to strings, objects and traits) are resolved while decoding, so a decoded tree
/// never holds one; encoding writes every value inline.
public enum AMF3Value: Sendable, Hashable {
    /// Marker 0x00 (§3.2).
    case undefined
    /// Marker 0x01 (§3.3).
    case null
    /// Marker 0x02 (§3.4).
    case `false`
    /// Marker 0x03 (§3.5).
    case `true`
    /// Marker 0x04 (§3.6): a 29-bit signed integer, -0x1000_0000 through 0x0FFF_FFFF.
    ///
    /// Encoding a value outside that range writes a ``double(_:)`` instead, as the specification asks.
    case integer(Int32)
    /// Marker 0x05 (§3.7): an IEEE-754 double.
    case double(Double)
    /// Marker 0x06 (§3.8): a UTF-8 string.
    case string(String)
    /// Marker 0x07 (§3.9): a legacy `flash.xml.XMLDocument`, as text.
    case xmlDocument(String)
    /// Marker 0x08 (§3.10): milliseconds since the Unix epoch, in UTC.
    case date(millisecondsSince1970: Double)
    /// Marker 0x09 (§3.11): an array: associative part (in wire order) and dense part.
    ///
    /// Associative names are never empty: the empty name ends the associative part on the wire.
    case array(associative: [AMF3Property], dense: [AMF3Value])
    /// Marker 0x0A (§3.12): an object: class name (empty for anonymous), sealed and dynamic
    /// members in wire order.
    case object(className: String, members: [AMF3Property])
    /// Marker 0x0B (§3.13): an E4X `XML` value, as text.
    case xml(String)
    /// Marker 0x0C (§3.14): raw bytes.
    case byteArray([UInt8])
}

/// A named AMF3 member: an associative array entry or an object member.
public struct AMF3Property: Sendable, Hashable {
    /// The member name.
    public var name: String
    /// The member value.
    public var value: AMF3Value

    /// Creates a member.
    public init(name: String, value: AMF3Value) {
        self.name = name
        self.value = value
    }
}

extension AMF3Value {
    /// The text of a ``string(_:)``, otherwise `nil`.
    public var stringValue: String? {
        guard case .string(let string) = self else { return nil }
        return string
    }

    /// An ``integer(_:)`` or ``double(_:)`` as a `Double`, otherwise `nil`.
    public var numberValue: Double? {
        switch self {
        case .integer(let integer):
            return Double(integer)
        case .double(let double):
            return double
        default:
            return nil
        }
    }

    /// `true` for ``true``, `false` for ``false``, otherwise `nil`.
    public var booleanValue: Bool? {
        switch self {
        case .true:
            return true
        case .false:
            return false
        default:
            return nil
        }
    }

    /// The members of an ``object(className:members:)`` or the associative part of an
    /// ``array(associative:dense:)``, otherwise `nil`.
    public var membersValue: [AMF3Property]? {
        switch self {
        case .object(_, let members), .array(let members, _):
            return members
        default:
            return nil
        }
    }
}
