import Geometry
import SceneFile
import Testing

/// `<animation>` keys and the sensor's shutter: what is read, and one-line
/// errors naming the place for everything that cannot move or be read.
@Suite struct AnimationTests {
    static let sensor = "<sensor type=\"perspective\"><float name=\"shutter_close\" value=\"1\"/>"
    static func keys(_ body: String) -> String { "<animation name=\"to_world\">" + body + "</animation>" }

    @Test func readsKeysAndShutter() throws {
        let d = try parse(Self.sensor + "<string name=\"rolling_shutter_type\" value=\"top\"/>"
                          + "<float name=\"rolling_shutter_duration\" value=\"0.5\"/>"
                          + Self.keys("<transform time=\"0\"><translate x=\"-1\"/></transform>"
                                      + "<transform time=\"1\"><translate x=\"1\"/></transform>") + "</sensor>")
        let s = d.sensor
        #expect(s.float("shutter_open") == 0 && s.float("shutter_close") == 1)
        #expect(s.string("rolling_shutter_type") == "top" && s.float("rolling_shutter_duration") == 0.5)
        let keys = try #require(s.animation("to_world"))
        #expect(keys.map(\.time) == [0, 1])
        #expect(keys[1].matrix == Matrix4.translation(Vec3(1, 0, 0)))
        // One key is a fixed transform.
        let one = try parse("<emitter type=\"point\">" + Self.keys("<transform time=\"0.3\"><translate y=\"2\"/></transform>")
                            + "</emitter>")
        #expect(one.emitters[0].transform("to_world") == Matrix4.translation(Vec3(0, 2, 0)))
    }

    @Test func badKeysAreOneLineErrors() {
        expectError(["test.xml:3:", "<transform> key of <animation> needs a time"]) {
            _ = try parse(Self.sensor + Self.keys("<transform><translate x=\"1\"/></transform>") + "</sensor>")
        }
        expectError(["test.xml:3:", "key times must increase: 0.5 follows 0.5"]) {
            _ = try parse(Self.sensor + Self.keys("<transform time=\"0.5\"/><transform time=\"0.5\"/>") + "</sensor>")
        }
        expectError(["key times must increase: 0.2 follows 0.7"]) {
            _ = try parse(Self.sensor + Self.keys("<transform time=\"0.7\"/><transform time=\"0.2\"/>") + "</sensor>")
        }
        expectError(["<animation> holds only <transform time=\"...\"> keys, found <translate>"]) {
            _ = try parse(Self.sensor + Self.keys("<translate x=\"1\"/>") + "</sensor>")
        }
        expectError(["<animation> needs at least one"]) { _ = try parse(Self.sensor + Self.keys("") + "</sensor>") }
        expectError(["'abc' in attribute 'time'"]) {
            _ = try parse(Self.sensor + Self.keys("<transform time=\"abc\"/>") + "</sensor>")
        }
    }

    @Test func whatCannotMoveIsNamed() {
        let two = Self.keys("<transform time=\"0\"/><transform time=\"1\"><translate x=\"1\"/></transform>")
        expectError(["test.xml:3:", "<shape type=\"sphere\"> cannot move", "instance"]) {
            _ = try parse("<shape type=\"sphere\">" + two + "</shape>")
        }
        expectError(["<emitter type=\"directional\"> cannot move"]) {
            _ = try parse("<emitter type=\"directional\">" + two + "</emitter>")
        }
        expectError(["<emitter type=\"projector\"> cannot move"]) {
            _ = try parse("<emitter type=\"projector\">" + two + "</emitter>")
        }
        expectError(["<animation> belongs inside the object it moves"]) { _ = try parse(two) }
        expectError(["with an animated to_world takes no 'position'"]) {
            _ = try parse("<emitter type=\"point\"><point name=\"position\" x=\"1\" y=\"0\" z=\"0\"/>" + two + "</emitter>")
        }
    }

    @Test func shutterMustBeOrdered() {
        expectError(["test.xml:3:", "shutter_close (0.5) must not be before shutter_open (1.0)"]) {
            _ = try parse("<sensor type=\"perspective\"><float name=\"shutter_open\" value=\"1\"/>"
                          + "<float name=\"shutter_close\" value=\"0.5\"/></sensor>")
        }
        expectError(["'diagonal' is not a valid 'rolling_shutter_type'", "top"]) {
            _ = try parse(Self.sensor + "<string name=\"rolling_shutter_type\" value=\"diagonal\"/></sensor>")
        }
        expectError(["rolling_shutter_duration (2.0)", "expected a value in [0, 1]"]) {
            _ = try parse(Self.sensor + "<float name=\"rolling_shutter_duration\" value=\"2\"/></sensor>")
        }
    }
}
