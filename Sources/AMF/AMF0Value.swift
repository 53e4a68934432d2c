/// A value of the Action Message Format, version 0 (AMF0 specification §2).
///
/// RTMP command and data messages carry AMF0; a value may switch to AMF3 with the
/// AVM+ marker (§3.1 of the AMF0 specification), kept here as ``avmPlus(_:)``.
/// References (marker 0x07) are resolved while decoding, so a decoded tree never holds one.
public enum AMF0Value: Sendable, Hashable {
    /// Marker 0x00: an IEEE-754 double.
    case number(Double)
    /// Marker 0x01.
    case boolean(Bool)
    /// Markers 0x02 (string, up to 65,535 UTF-8 bytes) and 0x0C (long string).
    case string(String)
    /// Marker 0x03: an anonymous object, properties in wire order.
    case object(AMFObject)
    /// Marker 0x05.
    case null
    /// Marker 0x06.
    case undefined
    /// Marker 0x08: an associative array; properties in wire order.
    case ecmaArray(AMFObject)
    /// Marker 0x0A: a dense array.
    case strictArray([AMF0Value])
    /// Marker 0x0B: milliseconds since the Unix epoch and a time-zone field (reserved, usually 0).
    case date(millisecondsSince1970: Double, timeZone: Int16)
    /// Marker 0x0F: an XML document, carried as a long string.
    case xmlDocument(String)
    /// Marker 0x10: an object with a registered class name.
    case typedObject(className: String, AMFObject)
    /// Marker 0x11: the rest of this value is AMF3.
    case avmPlus(AMF3Value)
}

extension AMF0Value {
    /// The text of a ``string(_:)`` (markers 0x02 and 0x0C), otherwise `nil`.
    public var stringValue: String? {
        guard case .string(let string) = self else { return nil }
        return string
    }

    /// The value of a ``number(_:)``, otherwise `nil`.
    public var numberValue: Double? {
        guard case .number(let number) = self else { return nil }
        return number
    }

    /// The value of a ``boolean(_:)``, otherwise `nil`.
    public var booleanValue: Bool? {
        guard case .boolean(let boolean) = self else { return nil }
        return boolean
    }

    /// The properties of an ``object(_:)``, an ``ecmaArray(_:)`` or a ``typedObject(className:_:)``,
    /// otherwise `nil`.
    ///
    /// Publishers disagree on whether metadata is an object or an ECMA array, so callers that only
    /// want the named values read them through this accessor.
    public var objectValue: AMFObject? {
        switch self {
        case .object(let object), .ecmaArray(let object), .typedObject(_, let object):
            return object
        default:
            return nil
        }
    }

    /// The elements of a ``strictArray(_:)``, otherwise `nil`.
    public var arrayValue: [AMF0Value]? {
        guard case .strictArray(let elements) = self else { return nil }
        return elements
    }

    /// Whether this is ``null`` or ``undefined``, the two "no value" markers (0x05 and 0x06).
    public var isNullOrUndefined: Bool {
        switch self {
        case .null, .undefined:
            return true
        default:
            return false
        }
    }
}
