-- prim.lua: a Wireshark dissector for PRIM, the IETF Presence and Instant Messaging Protocol
-- (draft-mazzoldi-prim-impp-02 client profile, draft-ietf-prim-server-00 server profile).
-- Part of primlab. Lua 5.2, Wireshark 3.x/4.x.
--
-- Use:
--   tshark  -X lua_script:tools/wireshark/prim.lua -r run.pcapng -Y prim
--   tshark  -X lua_script:tools/wireshark/prim.lua -r run.pcapng \
--           -Y 'prim.method==SUBSCRIBE' -T fields -e prim.method -e prim.id
--   wireshark: copy this file into the personal Lua plugins folder
--              (Help > About Wireshark > Folders), or pass -X lua_script:prim.lua.
--
-- Ports. PRIM never had ports assigned (every draft says "[xxx]"; primlab Decision D3), so
-- the dissector decodes the TCP ports primlab itself uses by default: 7000 (client-server)
-- and 7001 (server-server). Change them in Edit > Preferences > Protocols > PRIM, or on
-- the command line:  -o "prim.tcp_ports:7000-7001,9000"
-- For other ports use Decode As... > TCP port > PRIM.
--
-- Fields:
--   prim.method   request method (SUBSCRIBE, NOTIFY, ...)       requests only
--   prim.version  version token (PRIM-PR/1.0, PRIM-IM/1.0, PRIM/1.0)
--   prim.id       request identifier ("-" for requests without a response)
--   prim.length   content length from the start line
--   prim.status   status code                                    responses only
--   prim.phrase   response phrase                                responses only
--   prim.header   one header line "Name: value", with prim.header.name and
--                 prim.header.value beneath it
--   prim.body     the body, as text
--   prim.response true for a response
--
-- Framing (prim-digest.md §3.2-3.6): start line, header lines, an empty line, then exactly
-- content-length octets of body and no trailing CRLF. A TCP segment may hold several
-- messages, and a message may span several segments: the dissector asks TCP to reassemble.
-- Empty lines where a start line is expected are skipped (I2 §8.1).

local prim = Proto("prim", "Presence and Instant Messaging Protocol")

local f = prim.fields
f.method   = ProtoField.string("prim.method", "Method")
f.version  = ProtoField.string("prim.version", "Version")
f.id       = ProtoField.string("prim.id", "Request identifier")
f.length   = ProtoField.uint32("prim.length", "Content length", base.DEC)
f.status   = ProtoField.uint16("prim.status", "Status code", base.DEC)
f.phrase   = ProtoField.string("prim.phrase", "Response phrase")
f.header   = ProtoField.string("prim.header", "Header")
f.hname    = ProtoField.string("prim.header.name", "Name")
f.hvalue   = ProtoField.string("prim.header.value", "Value")
f.body     = ProtoField.string("prim.body", "Body")
f.response = ProtoField.bool("prim.response", "Response")

local ef_malformed = ProtoExpert.new("prim.malformed", "Malformed PRIM message",
                                     expert.group.MALFORMED, expert.severity.ERROR)
prim.experts = { ef_malformed }

local default_ports = "7000-7001"
prim.prefs.tcp_ports = Pref.range("TCP ports", default_ports,
    "TCP ports decoded as PRIM (no ports were ever assigned; primlab uses 7000 and 7001)", 65535)

-- Limits: a start line plus headers longer than this is not PRIM (or not worth waiting for).
local MAX_HEAD = 65536

-- parse_start reads a start line. It returns a table, or nil if the line is not PRIM.
local function parse_start(line)
    -- response: version SP id SP length SP code SP phrase
    local v, id, len, code, phrase = line:match("^([%w%-]+/%d+%.%d+) (%S+) (%d+) (%d%d%d) ?(.*)$")
    if v then
        return { response = true, version = v, id = id, length = tonumber(len),
                 status = tonumber(code), phrase = phrase }
    end
    -- request: method SP version SP id SP length
    local m
    m, v, id, len = line:match("^(%u[%u%d%-]*) ([%w%-]+/%d+%.%d+) (%S+) (%d+)$")
    if m then
        return { response = false, method = m, version = v, id = id, length = tonumber(len) }
    end
    return nil
end

-- dissect_one decodes the message at offset. It returns the number of bytes it used, 0 if
-- the bytes are not PRIM, or a negative number -n when n more bytes are needed
-- (DESEGMENT_ONE_MORE_SEGMENT when the amount is unknown).
local function dissect_one(tvb, pinfo, tree, offset, infos)
    local avail = tvb:len() - offset
    local s = tvb:range(offset, math.min(avail, MAX_HEAD)):string()
    -- skip empty lines before the start line
    local skip = 0
    while s:sub(skip + 1, skip + 2) == "\r\n" do skip = skip + 2 end
    if skip == avail then return skip end
    local head_end = s:find("\r\n\r\n", skip + 1, true)
    if not head_end then
        -- no complete head yet: is it plausibly PRIM so far?
        local first = s:sub(skip + 1, (s:find("\r\n", skip + 1, true) or (#s + 1)) - 1)
        if s:find("\r\n", skip + 1, true) and not parse_start(first) then return 0 end
        if avail >= MAX_HEAD then return 0 end
        return -DESEGMENT_ONE_MORE_SEGMENT
    end
    local line_end = s:find("\r\n", skip + 1, true)
    local start = s:sub(skip + 1, line_end - 1)
    local msg = parse_start(start)
    if not msg then return 0 end
    local body_off = head_end + 3 -- 0-based offset of the body within s
    local total = body_off + msg.length
    if total > avail then return -(total - avail) end

    local item = tree:add(prim, tvb:range(offset + skip, total - skip))
    item:append_text(": " .. start)
    local so = offset + skip
    if msg.response then
        item:add(f.response, tvb:range(so, #start), true):set_generated()
        local p = so
        item:add(f.version, tvb:range(p, #msg.version)); p = p + #msg.version + 1
        item:add(f.id, tvb:range(p, #msg.id)); p = p + #msg.id + 1
        local ls = tostring(msg.length)
        item:add(f.length, tvb:range(p, #ls), msg.length); p = p + #ls + 1
        item:add(f.status, tvb:range(p, 3), msg.status); p = p + 4
        item:add(f.phrase, tvb:range(math.min(p, so + #start), math.max(#start - (p - so), 0)), msg.phrase)
    else
        item:add(f.response, tvb:range(so, #start), false):set_generated()
        local p = so
        item:add(f.method, tvb:range(p, #msg.method)); p = p + #msg.method + 1
        item:add(f.version, tvb:range(p, #msg.version)); p = p + #msg.version + 1
        item:add(f.id, tvb:range(p, #msg.id)); p = p + #msg.id + 1
        local ls = tostring(msg.length)
        item:add(f.length, tvb:range(p, #ls), msg.length)
    end
    -- header lines
    local pos = line_end + 2 -- 1-based index of the next line in s
    while pos < head_end + 2 do
        local e = s:find("\r\n", pos, true)
        local hl = s:sub(pos, e - 1)
        local hitem = item:add(f.header, tvb:range(offset + pos - 1, #hl), hl)
        local name, value = hl:match("^([^:]+): (.*)$")
        if name then
            hitem:add(f.hname, tvb:range(offset + pos - 1, #name), name)
            hitem:add(f.hvalue, tvb:range(offset + pos - 1 + #name + 2, #value), value)
        else
            hitem:add_proto_expert_info(ef_malformed, "header line without \": \"")
        end
        pos = e + 2
    end
    if msg.length > 0 then
        item:add(f.body, tvb:range(offset + body_off, msg.length))
    end
    infos[#infos + 1] = start
    return total
end

function prim.dissector(tvb, pinfo, tree)
    local len = tvb:len()
    local offset = 0
    local infos = {}
    while offset < len do
        local used = dissect_one(tvb, pinfo, tree, offset, infos)
        if used == 0 then
            if offset == 0 then return 0 end -- not PRIM
            break
        end
        if used < 0 then
            pinfo.desegment_offset = offset
            pinfo.desegment_len = -used
            break
        end
        offset = offset + used
    end
    if #infos > 0 then
        pinfo.cols.protocol:set("PRIM")
        pinfo.cols.info:set(table.concat(infos, " , "))
    end
    return len
end

local tcp_port = DissectorTable.get("tcp.port")
local registered = default_ports
tcp_port:add(registered, prim)

function prim.prefs_changed()
    if prim.prefs.tcp_ports ~= registered then
        tcp_port:remove(registered, prim)
        registered = prim.prefs.tcp_ports
        tcp_port:add(registered, prim)
    end
end
