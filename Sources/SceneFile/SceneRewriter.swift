import Foundation
import Geometry

/// Writes a scene file back with new parameter values (the result of an
/// optimisation), keyed like `mi.traverse`: `red.reflectance.value`,
/// `light.emitter.radiance.value`, `sensor.x_fov`, `ball.radius`, and the
/// pose offsets `<id>.translate` / `<id>.rotate`, which are appended to the
/// object's `to_world`. Comments of the original are not kept.
public enum SceneRewriter {
    /// The rewritten XML and the keys it could not express in XML (such as
    /// `vertex_positions`, which lives in a mesh file).
    public static func rewrite(_ text: String, file: String, values: [String: [Double]],
                               pivots: [String: Vec3] = [:]) throws -> (xml: String, unwritten: [String]) {
        var root = try XMLReader.parse(text, file: file)
        var unwritten = [String]()
        for key in values.keys.sorted() {
            let v = values[key]!
            if !apply(key, v, pivots: pivots, to: &root) { unwritten.append(key) }
        }
        return ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" + serialize(root, indent: ""), unwritten)
    }

    static func apply(_ key: String, _ v: [Double], pivots: [String: Vec3], to root: inout XMLNode) -> Bool {
        // The id is the longest dotted prefix that names an element.
        let parts = key.split(separator: ".").map(String.init)
        for cut in stride(from: parts.count - 1, through: 1, by: -1) {
            let id = parts[..<cut].joined(separator: ".")
            let rest = Array(parts[cut...])
            if let path = findPath(id: id, in: root) {
                return modify(&root, at: path) { edit(&$0, rest, v, pivot: pivots[id]) }
            }
        }
        return false
    }

    static func findPath(id: String, in node: XMLNode) -> [Int]? {
        if node.attribute("id")?.value == id { return [] }
        for (i, c) in node.children.enumerated() {
            if let p = findPath(id: id, in: c) { return [i] + p }
        }
        return nil
    }

    static func modify(_ node: inout XMLNode, at path: [Int], _ body: (inout XMLNode) -> Bool) -> Bool {
        if path.isEmpty { return body(&node) }
        return modify(&node.children[path[0]], at: Array(path.dropFirst()), body)
    }

    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%.9g", x)
    }

    static func setProperty(_ node: inout XMLNode, tag: String, name: String, value: String) {
        let location = node.location
        let attrs = [XMLAttribute(name: "name", value: name, location: location), XMLAttribute(name: "value", value: value, location: location)]
        if let i = node.children.firstIndex(where: { $0.attribute("name")?.value == name && $0.name != "transform" }) {
            node.children[i] = XMLNode(name: tag, attributes: attrs, children: [], location: location)
        } else {
            node.children.insert(XMLNode(name: tag, attributes: attrs, children: [], location: location), at: 0)
        }
    }

    static func appendToWorld(_ node: inout XMLNode, _ elements: [XMLNode]) {
        if let i = node.children.firstIndex(where: { $0.name == "transform" && $0.attribute("name")?.value == "to_world" }) {
            node.children[i].children += elements
        } else {
            let location = node.location
            node.children.insert(XMLNode(name: "transform", attributes: [XMLAttribute(name: "name", value: "to_world", location: location)],
                                         children: elements, location: location), at: 0)
        }
    }

    static func element(_ name: String, _ attrs: [(String, String)], _ location: SourceLocation) -> XMLNode {
        XMLNode(name: name, attributes: attrs.map { XMLAttribute(name: $0.0, value: $0.1, location: location) }, children: [], location: location)
    }

    static func edit(_ node: inout XMLNode, _ rest: [String], _ v: [Double], pivot: Vec3?) -> Bool {
        guard let head = rest.first else { return false }
        let list = v.map(number).joined(separator: ", ")
        let loc = node.location
        // Nested objects: <emitter>, <bsdf>, twosided's brdf_0 / brdf_1.
        if head == "emitter" || head == "bsdf" || head.hasPrefix("brdf_") {
            let tag = head == "emitter" ? "emitter" : "bsdf"
            let index = head.hasPrefix("brdf_") ? Int(head.dropFirst(5)) ?? 0 : 0
            let matches = node.children.indices.filter { node.children[$0].name == tag }
            guard index < matches.count else { return false }
            return edit(&node.children[matches[index]], Array(rest.dropFirst()), v, pivot: nil)
        }
        switch (head, rest.count) {
        case (_, 2) where rest[1] == "value" && v.count == 3:
            setProperty(&node, tag: "rgb", name: head, value: list)
        case (_, 2) where rest[1] == "value" && v.count == 1:
            setProperty(&node, tag: "float", name: head, value: list)
        case ("x_fov", 1):
            setProperty(&node, tag: "float", name: "fov", value: list)
            setProperty(&node, tag: "string", name: "fov_axis", value: "x")
        case ("radius", 1), ("scale", 1):
            setProperty(&node, tag: "float", name: head, value: list)
        case ("eta", 1):
            setProperty(&node, tag: "float", name: "int_ior", value: list)
            setProperty(&node, tag: "float", name: "ext_ior", value: "1")
        case ("center", 1), ("position", 1):
            setProperty(&node, tag: "point", name: head, value: list)
        case ("to_world", 1) where v.count == 16:
            if let i = node.children.firstIndex(where: { $0.name == "transform" && $0.attribute("name")?.value == "to_world" }) {
                node.children.remove(at: i)
            }
            appendToWorld(&node, [element("matrix", [("value", list)], loc)])
        case ("translate", 1) where v.count == 3:
            if v.allSatisfy({ $0 == 0 }) { return true }
            appendToWorld(&node, [element("translate", [("value", list)], loc)])
        case ("rotate", 1) where v.count == 3:
            let angle = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).squareRoot()
            if angle == 0 { return true }
            let p = pivot ?? .zero
            appendToWorld(&node, [
                element("translate", [("value", [-p.x, -p.y, -p.z].map(number).joined(separator: ", "))], loc),
                element("rotate", [("value", v.map { number($0 / angle) }.joined(separator: ", ")), ("angle", number(angle * 180 / .pi))], loc),
                element("translate", [("value", [p.x, p.y, p.z].map(number).joined(separator: ", "))], loc),
            ])
        default:
            return false
        }
        return true
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func serialize(_ node: XMLNode, indent: String) -> String {
        let attrs = node.attributes.map { " \($0.name)=\"\(escape($0.value))\"" }.joined()
        if node.children.isEmpty { return "\(indent)<\(node.name)\(attrs)/>\n" }
        return "\(indent)<\(node.name)\(attrs)>\n" + node.children.map { serialize($0, indent: indent + "    ") }.joined()
            + "\(indent)</\(node.name)>\n"
    }
}
