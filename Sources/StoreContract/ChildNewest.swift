/// A child's row keeps the details (names, date of birth, school) and time of their newest incident
/// (README: "A child's school"), taken as each batch arrives. A correction that moves that incident
/// back in time, or that stops it naming the child, leaves the row holding what none of their links
/// says any more (and an alert would carry those names to the child's school); an ingest of the
/// final versions alone would have given the newest remaining incident's. Such a row takes the
/// details and time of the newest link the child has left, ties going to the incident stored last
/// (the largest key: a batch's new incidents are keyed in the order they come), as one ingest gives a
/// tie to the later row. A row one of their links still bears out is left alone, so a tie won by a
/// later batch stays won. A link made before links kept the names (NULL) keeps the row's.
///
/// One statement both databases run, for the children named by `keys` (SQL giving child keys);
/// `same` is the database's null-safe equality (`IS`, `IS NOT DISTINCT FROM`).
public enum ChildNewest {
    public static func recompute(keys: String, same: String) -> String {
        """
        UPDATE children SET (given_name, family_name, dob, school_urn, latest_reported_at) = (
                SELECT coalesce(l.given_name, children.given_name), coalesce(l.family_name, children.family_name),
                    coalesce(l.dob, children.dob), l.school_urn, l.reported_at
                FROM incident_children l WHERE l.child_key = children.child_key
                ORDER BY l.reported_at DESC, l.incident_key DESC LIMIT 1)
        WHERE child_key IN (\(keys))
            AND EXISTS (SELECT 1 FROM incident_children l WHERE l.child_key = children.child_key)
            AND NOT EXISTS (SELECT 1 FROM incident_children l WHERE l.child_key = children.child_key
                            AND l.reported_at = children.latest_reported_at AND l.school_urn \(same) children.school_urn
                            AND l.given_name \(same) children.given_name AND l.family_name \(same) children.family_name
                            AND l.dob \(same) children.dob)
        """
    }
}
