/// An ordered list of named AMF0 properties: the body of an object (AMF0 specification §2.5),
/// an ECMA array (§2.10) or a typed object (§2.18).
///
/// Order is kept because it is what was on the wire and what re-encoding produces.
/// Lookups by name return the first match.
public struct AMFObject: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// One name and value pair.
    public struct Property: Sendable, Hashable {
        /// The property name, written as a UTF-8 string of at most 65,535 bytes.
        public var name: String
        /// The property value.
        public var value: AMF0Value

        /// Creates a property.
        public init(name: String, value: AMF0Value) {
            self.name = name
            self.value = value
        }
    }

    /// The properties in wire order; names may repeat.
    public var properties: [Property]

    /// Creates an object from properties in wire order.
    public init(_ properties: [Property] = []) {
        self.properties = properties
    }

    /// Creates an object from a literal, keeping the literal's order.
    public init(dictionaryLiteral elements: (String, AMF0Value)...) {
        self.properties = elements.map { Property(name: $0.0, value: $0.1) }
    }

    /// The value of the first property called `name`; setting `nil` removes every such property,
    /// setting a value replaces the first one or appends.
    public subscript(name: String) -> AMF0Value? {
        get { properties.first { $0.name == name }?.value }
        set {
            if let newValue {
                if let index = properties.firstIndex(where: { $0.name == name }) {
                    properties[index].value = newValue
                } else {
                    properties.append(Property(name: name, value: newValue))
                }
            } else {
                properties.removeAll { $0.name == name }
            }
        }
    }
}
