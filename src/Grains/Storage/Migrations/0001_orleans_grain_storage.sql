-- Orleans ADO.NET grain storage for PostgreSQL: the tables, function and named queries the provider expects.
-- Column, parameter and query names are the provider's contract and must not change. Unlike the upstream sample
-- script, a grain's row is unique (a unique index), so a lost race inserts one row, never two.

CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey varchar(64) NOT NULL PRIMARY KEY,
    querytext varchar(8000) NOT NULL
);

CREATE TABLE orleansstorage
(
    grainidhash integer NOT NULL,
    grainidn0 bigint NOT NULL,
    grainidn1 bigint NOT NULL,
    graintypehash integer NOT NULL,
    graintypestring varchar(512) NOT NULL,
    grainidextensionstring varchar(512),
    serviceid varchar(150) NOT NULL,
    payloadbinary bytea,
    modifiedon timestamptz NOT NULL,
    version integer
);

CREATE UNIQUE INDEX ux_orleansstorage_grain ON orleansstorage
    (grainidhash, graintypehash, grainidn0, grainidn1, graintypestring, (coalesce(grainidextensionstring, '')), serviceid);

CREATE OR REPLACE FUNCTION writetostorage(
    _grainidhash integer,
    _grainidn0 bigint,
    _grainidn1 bigint,
    _graintypehash integer,
    _graintypestring varchar,
    _grainidextensionstring varchar,
    _serviceid varchar,
    _grainstateversion integer,
    _payloadbinary bytea)
    RETURNS TABLE(newgrainstateversion integer)
    LANGUAGE plpgsql
AS $function$
DECLARE
    _newversion integer := _grainstateversion;
    _rows integer := 0;
BEGIN
    IF _grainstateversion IS NOT NULL THEN
        -- Optimistic concurrency: only the writer holding the current version succeeds.
        UPDATE orleansstorage
        SET payloadbinary = _payloadbinary, modifiedon = now(), version = version + 1
        WHERE grainidhash = _grainidhash AND graintypehash = _graintypehash
          AND grainidn0 = _grainidn0 AND grainidn1 = _grainidn1
          AND graintypestring = _graintypestring
          AND coalesce(grainidextensionstring, '') = coalesce(_grainidextensionstring, '')
          AND serviceid = _serviceid
          AND version = _grainstateversion;
        GET DIAGNOSTICS _rows = ROW_COUNT;
        IF _rows > 0 THEN
            _newversion := _grainstateversion + 1;
        END IF;
    ELSE
        INSERT INTO orleansstorage
            (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring, grainidextensionstring, serviceid, payloadbinary, modifiedon, version)
        VALUES
            (_grainidhash, _grainidn0, _grainidn1, _graintypehash, _graintypestring, _grainidextensionstring, _serviceid, _payloadbinary, now(), 1)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS _rows = ROW_COUNT;
        IF _rows > 0 THEN
            _newversion := 1;
        END IF;
    END IF;

    RETURN QUERY SELECT _newversion;
END
$function$;

INSERT INTO orleansquery (querykey, querytext) VALUES
('WriteToStorageKey', '
    SELECT * FROM writetostorage(@GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary);
'),
('ReadFromStorageKey', '
    SELECT payloadbinary, now(), version
    FROM orleansstorage
    WHERE grainidhash = @GrainIdHash AND graintypehash = @GrainTypeHash
      AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
      AND graintypestring = @GrainTypeString
      AND coalesce(grainidextensionstring, '''') = coalesce(@GrainIdExtensionString, '''')
      AND serviceid = @ServiceId;
'),
('ClearStorageKey', '
    UPDATE orleansstorage
    SET payloadbinary = NULL, version = version + 1
    WHERE grainidhash = @GrainIdHash AND graintypehash = @GrainTypeHash
      AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
      AND graintypestring = @GrainTypeString
      AND coalesce(grainidextensionstring, '''') = coalesce(@GrainIdExtensionString, '''')
      AND serviceid = @ServiceId
      AND version = @GrainStateVersion
    RETURNING version AS newgrainstateversion;
'),
('DeleteStorageKey', '
    DELETE FROM orleansstorage
    WHERE grainidhash = @GrainIdHash AND graintypehash = @GrainTypeHash
      AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
      AND graintypestring = @GrainTypeString
      AND coalesce(grainidextensionstring, '''') = coalesce(@GrainIdExtensionString, '''')
      AND serviceid = @ServiceId
      AND version = @GrainStateVersion
    RETURNING version + 1 AS newgrainstateversion;
');
