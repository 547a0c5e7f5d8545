// A pgjdbc client for tests/pgwire/test_jdbc.py: connects to the wire server, lists schemas,
// tables and columns through DatabaseMetaData (schema public and a warehouse schema, stripe),
// runs Metabase's sync queries verbatim (syncing schemas public and stripe), a
// primary/imported keys and index info, a type lookup, a PreparedStatement with parameters, a
// date_trunc time series and a fetch-size scan, and prints
// every result as tab-separated lines "<section>\t<value>\t<value>..." (NULL as \N).
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

public class PgwireProbe {
    // Metabase's postgres driver (src/metabase/driver/postgres.clj), as it sends them.
    static final String METABASE_TABLES =
        "SELECT \"n\".\"nspname\" AS \"schema\", \"c\".\"relname\" AS \"name\", "
        + "CASE \"c\".\"relkind\" WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' "
        + "WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' "
        + "ELSE NULL END AS \"type\", \"d\".\"description\" AS \"description\", "
        + "\"stat\".\"n_live_tup\" AS \"estimated_row_count\" "
        + "FROM \"pg_catalog\".\"pg_class\" AS \"c\" "
        + "INNER JOIN \"pg_catalog\".\"pg_namespace\" AS \"n\" ON \"c\".\"relnamespace\" = \"n\".\"oid\" "
        + "LEFT JOIN \"pg_catalog\".\"pg_description\" AS \"d\" ON (\"c\".\"oid\" = \"d\".\"objoid\") "
        + "AND (\"d\".\"objsubid\" = 0) AND (\"d\".\"classoid\" = 'pg_class'::regclass) "
        + "LEFT JOIN \"pg_stat_user_tables\" AS \"stat\" ON (\"n\".\"nspname\" = \"stat\".\"schemaname\") "
        + "AND (\"c\".\"relname\" = \"stat\".\"relname\") "
        + "WHERE (\"c\".\"relnamespace\" = \"n\".\"oid\") AND (\"n\".\"nspname\" !~ '^pg_') "
        + "AND (\"n\".\"nspname\" <> 'information_schema') "
        + "AND c.relkind in ('r', 'p', 'v', 'f', 'm') AND (\"n\".\"nspname\" IN ('public', 'stripe')) "
        + "ORDER BY \"type\" ASC, \"schema\" ASC, \"name\" ASC";

    static final String METABASE_PRIVILEGES =
        "with table_privileges as (\n"
        + " select\n"
        + "   NULL as role,\n"
        + "   t.schemaname as schema,\n"
        + "   t.objectname as table,\n"
        + "   pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"',  'update') as update,\n"
        + "   pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"',  'select') as select,\n"
        + "   pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"',  'insert') as insert,\n"
        + "   pg_catalog.has_table_privilege(     current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"',  'delete') as delete\n"
        + " from (\n"
        + "   select schemaname, tablename as objectname from pg_catalog.pg_tables\n"
        + "   union\n"
        + "   select schemaname, viewname as objectname from pg_catalog.pg_views\n"
        + "   union\n"
        + "   select schemaname, matviewname as objectname from pg_catalog.pg_matviews\n"
        + " ) t\n"
        + " where t.schemaname !~ '^pg_'\n"
        + "   and t.schemaname <> 'information_schema'\n"
        + "   and pg_catalog.has_schema_privilege(current_user, t.schemaname, 'usage')\n"
        + ")\n"
        + "select t.*\n"
        + "from table_privileges t\n"
        + "where t.select or t.update or t.insert or t.delete";

    static final String METABASE_ENUMS =
        "SELECT nspname AS schema, typname AS type FROM pg_type t "
        + "JOIN pg_namespace n ON n.oid = t.typnamespace "
        + "WHERE t.oid IN (SELECT DISTINCT enumtypid FROM pg_enum e)";

    static final String METABASE_FIELDS =
        "SELECT c.column_name AS \"name\", "
        + "CASE WHEN c.udt_schema IN ('public', 'pg_catalog') THEN format('%I', c.udt_name) "
        + "ELSE format('%I.%I', c.udt_schema, c.udt_name) END AS \"database-type\", "
        + "c.ordinal_position - 1 AS \"database-position\", c.table_schema AS \"table-schema\", "
        + "c.table_name AS \"table-name\", pk.column_name IS NOT NULL AS \"pk?\", "
        + "col_description(CAST(CAST(format('%I.%I', CAST(c.table_schema AS TEXT), "
        + "CAST(c.table_name AS TEXT)) AS REGCLASS) AS OID), c.ordinal_position) AS \"field-comment\", "
        + "((column_default IS NULL) OR (LOWER(column_default) = 'null')) AND (is_nullable = 'NO') "
        + "AND NOT (((column_default IS NOT NULL) AND (column_default LIKE '%nextval(%')) "
        + "OR (is_identity <> 'NO')) AS \"database-required\", "
        + "((column_default IS NOT NULL) AND (column_default LIKE '%nextval(%')) "
        + "OR (is_identity <> 'NO') AS \"database-is-auto-increment\" "
        + "FROM information_schema.columns AS c "
        + "LEFT JOIN (SELECT tc.table_schema, tc.table_name, kc.column_name "
        + "FROM information_schema.table_constraints AS tc "
        + "INNER JOIN information_schema.key_column_usage AS kc "
        + "ON (tc.constraint_name = kc.constraint_name) AND (tc.table_schema = kc.table_schema) "
        + "AND (tc.table_name = kc.table_name) WHERE tc.constraint_type = 'PRIMARY KEY') AS pk "
        + "ON (c.table_schema = pk.table_schema) AND (c.table_name = pk.table_name) "
        + "AND (c.column_name = pk.column_name) "
        + "WHERE c.table_schema !~ '^information_schema|catalog_history|pg_' "
        + "AND (c.table_schema IN ('public', 'stripe')) "
        + "UNION ALL "
        + "SELECT pa.attname AS \"name\", "
        + "CASE WHEN ptn.nspname IN ('public', 'pg_catalog') THEN format('%I', pt.typname) "
        + "ELSE format('%I.%I', ptn.nspname, pt.typname) END AS \"database-type\", "
        + "pa.attnum - 1 AS \"database-position\", pn.nspname AS \"table-schema\", "
        + "pc.relname AS \"table-name\", FALSE AS \"pk?\", NULL AS \"field-comment\", "
        + "FALSE AS \"database-required\", FALSE AS \"database-is-auto-increment\" "
        + "FROM pg_catalog.pg_class AS pc "
        + "INNER JOIN pg_catalog.pg_namespace AS pn ON pn.oid = pc.relnamespace "
        + "INNER JOIN pg_catalog.pg_attribute AS pa ON pa.attrelid = pc.oid "
        + "INNER JOIN pg_catalog.pg_type AS pt ON pt.oid = pa.atttypid "
        + "INNER JOIN pg_catalog.pg_namespace AS ptn ON ptn.oid = pt.typnamespace "
        + "WHERE (pc.relkind = 'm') AND (pa.attnum >= 1) AND (pn.nspname IN ('public', 'stripe')) "
        + "ORDER BY \"table-schema\" ASC, \"table-name\" ASC, \"database-position\" ASC";

    static final String METABASE_FKS =
        "SELECT fk_ns.nspname AS \"fk-table-schema\", fk_table.relname AS \"fk-table-name\", "
        + "fk_column.attname AS \"fk-column-name\", pk_ns.nspname AS \"pk-table-schema\", "
        + "pk_table.relname AS \"pk-table-name\", pk_column.attname AS \"pk-column-name\" "
        + "FROM pg_constraint c "
        + "JOIN pg_class fk_table ON c.conrelid = fk_table.oid "
        + "JOIN pg_namespace fk_ns ON c.connamespace = fk_ns.oid "
        + "JOIN pg_attribute fk_column ON c.conrelid = fk_column.attrelid "
        + "JOIN pg_class pk_table ON c.confrelid = pk_table.oid "
        + "JOIN pg_namespace pk_ns ON pk_table.relnamespace = pk_ns.oid "
        + "JOIN pg_attribute pk_column ON c.confrelid = pk_column.attrelid "
        + "WHERE fk_ns.nspname !~ '^information_schema|catalog_history|pg_' "
        + "AND c.contype = 'f'::char "
        + "AND fk_column.attnum = ANY(c.conkey) "
        + "AND pk_column.attnum = ANY(c.confkey) "
        + "AND fk_ns.nspname IN ('public', 'stripe') "
        + "ORDER BY fk_ns.nspname, fk_table.relname";

    static void print(String section, ResultSet rs) throws SQLException {
        ResultSetMetaData meta = rs.getMetaData();
        int n = meta.getColumnCount();
        StringBuilder header = new StringBuilder("#" + section);
        for (int i = 1; i <= n; i++) {
            header.append('\t').append(meta.getColumnLabel(i)).append(':').append(meta.getColumnTypeName(i));
        }
        System.out.println(header);
        while (rs.next()) {
            StringBuilder line = new StringBuilder(section);
            for (int i = 1; i <= n; i++) {
                String value = rs.getString(i);
                line.append('\t').append(value == null ? "\\N" : value.replace("\t", " ").replace("\n", " "));
            }
            System.out.println(line);
        }
        rs.close();
    }

    static void query(Connection conn, String section, String sql) throws SQLException {
        try (Statement st = conn.createStatement()) {
            print(section, st.executeQuery(sql));
        }
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        Properties props = new Properties();
        props.setProperty("user", args[1]);
        props.setProperty("password", args[2]);
        try (Connection conn = DriverManager.getConnection(url, props)) {
            DatabaseMetaData meta = conn.getMetaData();
            System.out.println("product\t" + meta.getDatabaseProductName() + "\t" + meta.getDatabaseProductVersion());
            query(conn, "select1", "SELECT 1");
            query(conn, "timezone", "show timezone;");
            print("schemas", meta.getSchemas());
            print("tables", meta.getTables(null, "public", "%", new String[] {"TABLE"}));
            print("columns", meta.getColumns(null, "public", "events", "%"));
            // a data warehouse source's schema, and a query on one of its tables
            print("stripe_tables", meta.getTables(null, "stripe", "%", new String[] {"TABLE"}));
            print("stripe_columns", meta.getColumns(null, "stripe", "charge", "%"));
            query(conn, "stripe_sum", "SELECT count(*), sum(amount) FROM stripe.charge");
            // getPrimaryKeys reads pg_index through information_schema._pg_expandarray(indkey)
            print("pkeys", meta.getPrimaryKeys(null, "public", "feature_flags"));
            print("imported", meta.getImportedKeys(null, "public", "annotations"));
            print("indexinfo", meta.getIndexInfo(null, "public", "feature_flags", false, false));
            // a type outside pgjdbc's built-in table: TypeInfoCache looks it up by OID with
            // "n.nspname = ANY(current_schemas(true))"
            try (Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT indkey FROM pg_catalog.pg_index LIMIT 1")) {
                System.out.println("typelookup\t" + rs.getMetaData().getColumnTypeName(1));
            }
            query(conn, "mb_tables", METABASE_TABLES);
            query(conn, "mb_privileges", METABASE_PRIVILEGES);
            query(conn, "mb_enums", METABASE_ENUMS);
            query(conn, "mb_fields", METABASE_FIELDS);
            query(conn, "mb_fks", METABASE_FKS);
            query(conn, "mb_probe", "SELECT TRUE FROM \"public\".\"feature_flags\" WHERE 1 <> 1 LIMIT 0");
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT id, key, active FROM feature_flags WHERE active = ? AND id > ? ORDER BY id")) {
                ps.setBoolean(1, true);
                ps.setLong(2, Long.parseLong(args[3]));
                print("prepared", ps.executeQuery());
            }
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT date_trunc('day', \"timestamp\") AS \"day\", count(*) AS \"count\" "
                    + "FROM \"public\".\"events\" WHERE \"event\" = ? "
                    + "AND \"timestamp\" >= timestamp with time zone '2000-01-01 00:00:00.000Z' "
                    + "GROUP BY date_trunc('day', \"timestamp\") ORDER BY date_trunc('day', \"timestamp\") ASC")) {
                ps.setString(1, "$pageview");
                print("series", ps.executeQuery());
            }
            conn.setAutoCommit(false);
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT uuid, event FROM events ORDER BY timestamp, uuid LIMIT 120")) {
                ps.setFetchSize(25);
                print("fetchsize", ps.executeQuery());
            }
            conn.commit();
            conn.setAutoCommit(true);
            try {
                query(conn, "missing", "SELECT * FROM no_such_table");
            } catch (SQLException e) {
                System.out.println("error\t" + e.getSQLState() + "\t" + e.getMessage().replace("\n", " "));
            }
        }
    }
}
