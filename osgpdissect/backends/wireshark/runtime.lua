-- The plugin's interpreter: MEP framing, pairing and table layouts (data above, from the spec).

local osgp = Proto("osgp", "OSGP MEP")
local osgp_tables = Proto("osgp.tables", "OSGP Table Data")
local p = osgp.fields

osgp.prefs.profile = Pref.enum("profile", 1, "Layout profile of the meter",
  GEN.PROFILE_PREF, false)

-- ------------------------------------------------------------------ fields
local F = {}
for i, spec in ipairs(GEN.FIELDS) do
  local ab, nm, ft = spec.abbrev, spec.name, spec.ftype
  if ft == "u32" then F[i] = ProtoField.uint32(ab, nm, base.DEC, spec.vals)
  elseif ft == "i32" then F[i] = ProtoField.int32(ab, nm, base.DEC, spec.vals)
  elseif ft == "u64" then F[i] = ProtoField.uint64(ab, nm, base.DEC)
  elseif ft == "i64" then F[i] = ProtoField.int64(ab, nm, base.DEC)
  elseif ft == "bool" then F[i] = ProtoField.bool(ab, nm)
  elseif ft == "str" then F[i] = ProtoField.string(ab, nm)
  else F[i] = ProtoField.none(ab, nm) end
  p["t" .. i] = F[i]
end

local hf = {
  fragment = ProtoField.bytes("osgp.fragment", "Frame fragment"),
  frame = ProtoField.bytes("osgp.frame", "MEP frame"),
  length = ProtoField.uint16("osgp.length", "Length", base.DEC),
  req_code = ProtoField.uint8("osgp.request_code", "Request code", base.HEX, GEN.REQUEST_CODES),
  resp_code = ProtoField.uint8("osgp.response_code", "Response code", base.HEX, GEN.RESPONSE_CODES),
  tls_code = ProtoField.uint8("osgp.tls_code", "TLS-mode code", base.HEX, GEN.TLS_CODES),
  table = ProtoField.uint16("osgp.table", "Table", base.DEC, GEN.TABLE_NAMES),
  table_id = ProtoField.string("osgp.table_id", "Table id"),
  offset = ProtoField.uint24("osgp.offset", "Offset", base.DEC),
  count = ProtoField.uint16("osgp.count", "Count", base.DEC),
  max_len = ProtoField.uint16("osgp.max_length", "Max reply length", base.DEC),
  data = ProtoField.bytes("osgp.data", "Data"),
  seq = ProtoField.uint32("osgp.seq", "Sequence number", base.HEX),
  next_seq = ProtoField.uint32("osgp.next_seq", "Next sequence number", base.HEX),
  digest = ProtoField.bytes("osgp.digest", "Digest"),
  records = ProtoField.bytes("osgp.tls_records", "TLS records"),
  opaque = ProtoField.bytes("osgp.opaque", "Opaque (encrypted or unknown) bytes"),
  alert = ProtoField.bytes("osgp.alert", "Alert"),
  response_in = ProtoField.framenum("osgp.response_in", "Response in", base.NONE, frametype.RESPONSE),
  request_in = ProtoField.framenum("osgp.request_in", "Request in", base.NONE, frametype.REQUEST),
  direction = ProtoField.string("osgp.direction", "Direction"),
  note = ProtoField.string("osgp.note", "Note"),
}
for k, v in pairs(hf) do p[k] = v end

local ef = {
  malformed = ProtoExpert.new("osgp.malformed", "Malformed MEP frame", expert.group.MALFORMED, expert.severity.ERROR),
  auth = ProtoExpert.new("osgp.auth_failure", "Authentication failure (0x0B)", expert.group.RESPONSE_CODE, expert.severity.WARN),
  seq = ProtoExpert.new("osgp.invalid_sequence", "Invalid sequence number (0x0C)", expert.group.SEQUENCE, expert.severity.WARN),
  error_code = ProtoExpert.new("osgp.error_response", "Error response", expert.group.RESPONSE_CODE, expert.severity.NOTE),
  defaults = ProtoExpert.new("osgp.defaults_used", "Layout uses spec defaults", expert.group.ASSUMPTION, expert.severity.NOTE),
  layout = ProtoExpert.new("osgp.layout_unknown", "Table bytes shown undecoded", expert.group.UNDECODED, expert.severity.NOTE),
  unpaired = ProtoExpert.new("osgp.unpaired", "Response without a request", expert.group.SEQUENCE, expert.severity.NOTE),
}

local rtac_event = Field.new("rtacser.eventtype")

-- ------------------------------------------------------------------ helpers
local function hexs(bytes_str)
  local out = {}
  for i = 1, #bytes_str do out[i] = string.format("%02X", bytes_str:byte(i)) end
  return table.concat(out, " ")
end

local function latin1_utf8(s)
  return (s:gsub("[\128-\255]", function(c)
    local b = c:byte()
    return string.char(0xC0 + math.floor(b / 64), 0x80 + b % 64)
  end))
end

local function num(v)
  if v == true then return 1 elseif v == false then return 0 end
  return v
end

local function truthy(v) return v ~= nil and v ~= false and v ~= 0 end

local Unknown = {}  -- raised (as error value) when a value lies outside the read window

local function lookup(st, ref)
  local scope = st.scopes[#st.scopes - ref.up]
  local v = scope and scope[ref.L]
  for _, part in ipairs(ref.p or {}) do
    if type(v) ~= "table" then v = nil break end
    if type(part) == "number" then v = v[part + 1] else v = v[part] end
  end
  if v == nil then error(Unknown) end
  return v
end

local BIN = {
  ["+"] = function(a, b) return num(a) + num(b) end,
  ["-"] = function(a, b) return num(a) - num(b) end,
  ["*"] = function(a, b) return num(a) * num(b) end,
  ["/"] = function(a, b) a, b = num(a), num(b) if b == 0 then return 0 end return math.floor(a / b) end,
  ["%"] = function(a, b) a, b = num(a), num(b) if b == 0 then return 0 end return a % b end,
  ["=="] = function(a, b) return num(a) == num(b) end,
  ["!="] = function(a, b) return num(a) ~= num(b) end,
  ["<"] = function(a, b) return num(a) < num(b) end,
  ["<="] = function(a, b) return num(a) <= num(b) end,
  [">"] = function(a, b) return num(a) > num(b) end,
  [">="] = function(a, b) return num(a) >= num(b) end,
  ["and"] = function(a, b) return truthy(a) and truthy(b) end,
  ["or"] = function(a, b) return truthy(a) or truthy(b) end,
}

local function ev(st, e)
  local t = type(e)
  if t == "number" or t == "boolean" then return e end
  if e.L then return lookup(st, e) end
  local op, a = e.op, e.a
  if op == "neg" then return -num(ev(st, a[1])) end
  if op == "not" then return not truthy(ev(st, a[1])) end
  if op == "if" then
    if truthy(ev(st, a[1])) then return ev(st, a[2]) end
    return ev(st, a[3])
  end
  if op == "min" or op == "max" then
    local best = num(ev(st, a[1]))
    for i = 2, #a do
      local v = num(ev(st, a[i]))
      if (op == "min" and v < best) or (op == "max" and v > best) then best = v end
    end
    return best
  end
  return BIN[op](ev(st, a[1]), ev(st, a[2]))
end

local function enum_label(en, v)
  if not en or type(v) ~= "number" then return nil end
  local flags, entries = en[1], en[2]
  if flags then
    if v == 0 then
      for _, x in ipairs(entries) do if x[1] == 0 then return x[3] end end
      return nil
    end
    local names = {}
    for _, x in ipairs(entries) do
      if x[1] ~= 0 and bit32.band(v, x[1]) == x[1] and x[3] then names[#names + 1] = x[3] end
    end
    if #names > 0 then return table.concat(names, ", ") end
    return nil
  end
  for _, x in ipairs(entries) do
    if x[1] <= v and v <= x[2] then return x[3] end
  end
  return nil
end

local function year(y) if y < 100 then return 2000 + y end return y end

-- ------------------------------------------------------------------ leaves
local function int_of(raw, be, signed)
  local v = 0
  local n = #raw
  for i = 1, n do
    local b = be and raw:byte(i) or raw:byte(n + 1 - i)
    v = v * 256 + b
  end
  if signed and n > 0 and v >= 2 ^ (8 * n - 1) then v = v - 2 ^ (8 * n) end
  return v
end

local function scalar_value(node, raw)
  local k = node.k
  if k == "int" or k == "fill" then
    return int_of(raw, node.be, node.sg), nil
  end
  local b = function(i) return raw:byte(i) end
  if k == "time" then return {hour=b(1), minute=b(2), second=b(3)}, string.format("%02d:%02d:%02d", b(1), b(2), b(3)) end
  if k == "date" then return {year=b(1), month=b(2), day=b(3)}, string.format("%04d-%02d-%02d", year(b(1)), b(2), b(3)) end
  if k == "stime_date" then
    return {year=b(1), month=b(2), day=b(3), hour=b(4), minute=b(5)},
      string.format("%04d-%02d-%02d %02d:%02d", year(b(1)), b(2), b(3), b(4), b(5))
  end
  if k == "ltime_date" then
    return {year=b(1), month=b(2), day=b(3), hour=b(4), minute=b(5), second=b(6)},
      string.format("%04d-%02d-%02d %02d:%02d:%02d", year(b(1)), b(2), b(3), b(4), b(5), b(6))
  end
  local v = int_of(raw, false, false)
  if k == "ansi_date" then
    return v, string.format("%04d-%02d-%02d", year(v % 128), math.floor(v / 128) % 16, math.floor(v / 2048) % 32)
  end
  if k == "mfg_code" then
    local s = ""
    for _, sh in ipairs({1024, 32, 1}) do s = s .. string.char(math.floor(v / sh) % 32 + 64) end
    return v, s
  end
  return v, nil
end

local function list_text(t)
  local parts = {}
  for i, v in ipairs(t) do parts[i] = tostring(v) end
  return "[" .. table.concat(parts, ", ") .. "]"
end

local function blob_value(node, raw)
  local k = node.k
  if k == "char" then
    local s = raw:gsub("[%z ]+$", "")
    return raw, latin1_utf8(s)
  end
  if k == "bcd" then
    local digits = {}
    local n = #raw
    for i = 1, n do
      local byte = node.be and raw:byte(i) or raw:byte(n + 1 - i)
      digits[#digits + 1] = string.format("%X%X", math.floor(byte / 16), byte % 16)
    end
    local s = table.concat(digits)
    if s:match("^%d+$") then s = s:gsub("^0+", "") if s == "" then s = "0" end end
    return raw, s
  end
  if k == "nibble" then
    local n = type(node.cnt) == "number" and node.cnt or #raw * 2
    local out = {}
    for i = 0, math.min(n, #raw * 2) - 1 do
      local byte = raw:byte(math.floor(i / 2) + 1)
      out[#out + 1] = (i % 2 == 0) and math.floor(byte / 16) or byte % 16
    end
    return raw, list_text(out)
  end
  if k == "set" then
    local out = {}
    for i = 0, #raw * 8 - 1 do
      if math.floor(raw:byte(math.floor(i / 8) + 1) / 2 ^ (i % 8)) % 2 == 1 then out[#out + 1] = i end
    end
    return raw, list_text(out)
  end
  return raw, hexs(raw)
end

-- ------------------------------------------------------------------ layout walk
-- st: tvb (window bytes), start/stop (table offsets of the window), scopes, learn (path -> value)

local walk

local function window_range(st, off, size)
  local a, z = math.max(off, st.start), math.min(off + size, st.stop)
  if z < a then return st.tvb(0, 0) end
  return st.tvb(a - st.start, z - a)
end

local function add_value(tree, node, range, shown, plain)
  local f = F[node.f]
  local item
  local ft = GEN.FIELDS[node.f].ftype
  if ft == "str" then item = tree:add(f, range, tostring(shown))
  elseif ft == "u64" and node.t == "S" and range:len() == node.w then
    -- wide integers exactly as the bytes say (a Lua number holds 53 bits)
    item = tree:add(f, range, node.be and range:uint64() or range:le_uint64())
  elseif ft == "i64" and node.t == "S" and node.w == 8 and range:len() == 8 then
    item = tree:add(f, range, node.be and range:int64() or range:le_int64())
  elseif ft == "u64" then item = tree:add(f, range, UInt64.new(plain % 4294967296, math.floor(plain / 4294967296)))
  elseif ft == "i64" then item = tree:add(f, range, Int64.new(num(plain)))
  elseif ft == "bool" then item = tree:add(f, range, plain ~= 0 and plain ~= false)
  else item = tree:add(f, range, plain) end
  local label = enum_label(node.en, plain)
  if label and not GEN.FIELDS[node.f].vals then item:append_text(" (" .. label .. ")") end
  if node.unit then item:append_text(" " .. node.unit) end
  return item
end

local function learn(st, path, value)
  if st.learned and type(value) == "number" then st.learned[path] = value end
end

local function leaf(st, node, pos, size, values, tree, path)
  if size == 0 and st.start <= pos and pos <= st.stop then
    -- an empty leaf inside the window
  elseif pos + size <= st.start or pos >= st.stop then
    return
  end
  if pos < st.start or pos + size > st.stop then
    tree:add(window_range(st, pos, size), (node.name or node.id) .. ": [cut by the read window]")
    return
  end
  local range = st.tvb(pos - st.start, size)
  local raw = range:raw()
  local t = node.t
  if t == "S" then
    local plain, shown = scalar_value(node, raw)
    values[node.id] = plain
    add_value(tree, node, range, shown, plain)
    learn(st, path, plain)
  elseif t == "B" then
    local plain, shown = blob_value(node, raw)
    values[node.id] = plain
    add_value(tree, node, range, shown, plain)
  elseif t == "T" then
    local v = int_of(raw, node.be, false)
    local item = add_value(tree, node, range, nil, v)
    learn(st, path, v)
    local vals = {}
    for _, mb in ipairs(node.m) do
      local width = mb.hi - mb.lo + 1
      local mv = math.floor(v / 2 ^ mb.lo) % 2 ^ width
      if mb.k == "INT" and mv >= 2 ^ (width - 1) then mv = mv - 2 ^ width end
      vals[mb.id] = mv
      learn(st, path .. "." .. mb.id, mv)
      if st.learned then st.learned[path:match("^[^.]+") .. "." .. mb.id] = st.learned[path:match("^[^.]+") .. "." .. mb.id] or mv end
      if not (mb.k == "FILL" and mv == 0) then
        local byte = node.be and (node.w - 1 - math.floor(mb.lo / 8)) or math.floor(mb.lo / 8)
        add_value(item, mb, st.tvb(pos - st.start + byte, 1), nil, mb.k == "BOOL" and (mv ~= 0) or mv)
      end
    end
    values[node.id] = vals
  end
end

local function leaf_size(st, node, pos, limit)
  if node.size then return node.size end
  if node.t == "B" then
    if node.rest then return math.max((limit or st.stop) - pos, 0) end
    return ev(st, node.len)
  end
  error(Unknown)
end

local function record_body(st, node, pos, limit, values, tree, path)
  st.scopes[#st.scopes + 1] = values
  local ok, res = pcall(function()
    for _, c in ipairs(node.c) do pos = walk(st, c, pos, limit, values, tree, path) end
    return pos
  end)
  st.scopes[#st.scopes] = nil
  if not ok then error(res, 0) end
  return res
end

local function group(st, node, pos, limit, values, tree, path)
  local inner = {}
  local stop = record_body(st, node, pos, limit, inner, tree, path)
  for k, v in pairs(inner) do values[k] = v end
  return stop
end

local function record(st, node, pos, limit, tree, path, label)
  local size = node.size
  if node.bound ~= nil and size == nil then size = ev(st, node.bound) end
  if size and size > 0 and (pos + size <= st.start or pos >= st.stop) then
    return pos + size, nil
  end
  local item = tree  -- a record after the window shows nothing of its own
  if pos < st.stop or st.stop == st.start then
    if label then item = tree:add(window_range(st, pos, size or 0), label)
    else item = tree:add(F[node.f], window_range(st, pos, size or 0)) end
  end
  local values = {}
  local lim = limit
  if node.bound ~= nil or node.size ~= nil then lim = pos + size end
  local stop = record_body(st, node, pos, lim, values, item, path)
  if node.bound ~= nil then stop = pos + size end
  if size == nil and item ~= tree then item:set_len(math.max(0, math.min(stop, st.stop) - math.max(pos, st.start))) end
  return stop, values
end

local function array(st, node, pos, limit, values, tree, path)
  local item = tree
  local own = pos < st.stop or st.stop == st.start
  if own then item = tree:add(F[node.f], window_range(st, pos, node.size or 0)) end
  if node.chain then
    error("F33 chained array", 0)
  end
  local total = nil
  if not node.greedy then total = ev(st, node.count) end
  local items = {}
  local idx = 0
  local start_pos = pos
  local parts = {}
  if node.el then parts[1] = {nil, node.el} end
  for _, s in ipairs(node.seg) do parts[#parts + 1] = {s[1], s[2]} end
  local function element(el, at)
    local label = "[" .. idx .. "]"
    local ipath = path .. "." .. idx
    if el.t == "R" then
      local stop, v = record(st, el, at, limit, item, ipath, label)
      items[idx + 1] = v or false
      return stop
    end
    local v = {}
    local size = leaf_size(st, el, at, limit)
    local sub = item
    leaf(st, el, at, size, v, sub, ipath)
    items[idx + 1] = v[el.id] or false
    return at + size
  end
  for _, part in ipairs(parts) do
    local n, el = part[1], part[2]
    if n == nil then n = total end
    local esize = el.size
    if n == nil then
      local stop = limit or st.stop
      while pos < stop and pos < st.stop do
        pos = element(el, pos)
        idx = idx + 1
      end
    elseif esize and esize > 0 then
      for i = 0, n - 1 do
        local at = pos + i * esize
        if at + esize > st.start and at < st.stop then element(el, at) end
        idx = idx + 1
      end
      pos = pos + n * esize
    else
      for _ = 1, n do
        pos = element(el, pos)
        idx = idx + 1
      end
    end
  end
  if node.greedy and st.learned and start_pos == 0 then st.learned[path .. ".#count"] = idx end
  if not node.size and own then item:set_len(math.max(0, math.min(pos, st.stop) - math.max(start_pos, st.start))) end
  values[node.id] = items
  return pos
end

walk = function(st, node, pos, limit, values, tree, path)
  local t = node.t
  if t == "R" then
    if node.syn then return group(st, node, pos, limit, values, tree, path) end
    local stop, v = record(st, node, pos, limit, tree, path .. "." .. node.id)
    values[node.id] = v
    return stop
  elseif t == "A" then
    return array(st, node, pos, limit, values, tree, path .. "." .. node.id)
  elseif t == "W" then
    local v = num(ev(st, node.on))
    for _, case in ipairs(node.cases) do
      for _, r in ipairs(case[1]) do
        if r[1] <= v and v <= r[2] then return group(st, case[2], pos, limit, values, tree, path) end
      end
    end
    if node.def then return group(st, node.def, pos, limit, values, tree, path) end
    return pos
  elseif t == "O" then
    if truthy(ev(st, node.test)) and node.body then
      return group(st, node.body, pos, limit, values, tree, path)
    end
    return pos
  elseif t == "D" then
    local ok, v = pcall(ev, st, node.e)
    if ok then
      values[node.id] = v
      if node.f and v ~= nil then
        tree:add(F[node.f], window_range(st, pos, 0), Int64.new(num(v)))
      end
    else
      values[node.id] = nil
    end
    return pos
  end
  local size = leaf_size(st, node, pos, limit)
  if limit and pos + size > limit then
    tree:add(hf.note, window_range(st, pos, 0), node.id .. " overruns its record's bound")
    return limit
  end
  leaf(st, node, pos, size, values, tree, path .. "." .. node.id)
  return pos + size
end

-- ------------------------------------------------------------------ capture state
local state  -- first-pass state: reassembly buffers, outstanding requests, dimension values
local per_frame = {}  -- pinfo.number -> what the first pass found
local event_dir = {}  -- pinfo.number -> direction of an RTAC error event's bytes (first pass)

local function reset()
  state = { buf = {[0] = "", [1] = ""}, buf_from = {}, buf_end = {}, outstanding = nil, dims = {},
            obuf = {[0] = "", [1] = ""}, omsg = {} }
  per_frame = {}
end
reset()

function osgp.init()
  reset()
  event_dir = {}
end

local function profile_name()
  return GEN.PROFILES[osgp.prefs.profile] or GEN.PROFILES[1]
end

-- Pick the layout of a table whose dimension values agree with what the capture showed.
local function choose_layout(table_id, dims)
  local variants = GEN.LAYOUTS[profile_name()][table_id]
  if not variants then return nil, "no layout for " .. table_id .. " in the spec" end
  local conflict
  for _, var in ipairs(variants) do
    local ok = true
    for key, bound_value in pairs(var.deps) do
      local seen = dims[key]
      if seen ~= nil and seen ~= bound_value then
        ok = false
        conflict = string.format("layout needs %s = %d, the capture shows %d", key, bound_value, seen)
        break
      end
    end
    if ok then
      local defaults = {}
      for key, _ in pairs(var.deps) do
        if dims[key] == nil and var.defaulted[key] then defaults[#defaults + 1] = key end
      end
      table.sort(defaults)
      return var, nil, defaults
    end
  end
  return nil, conflict
end

local function snapshot(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function decode_payload(tvb, tree, pinfo, table_number, offset, dims, learned)
  local table_id = GEN.TABLE_IDS[table_number]
  if not table_id then
    tree:add(hf.note, tvb(0, 0), "table " .. table_number .. " is not in the spec")
    return
  end
  local sub = tree:add(osgp_tables, tvb(), table_id .. " " .. (GEN.TABLE_NAMES[table_number] or "")
    .. (offset > 0 and (" @" .. offset) or ""))
  local var, why, defaults = choose_layout(table_id, dims)
  if not var then
    sub:add(hf.data, tvb())
    sub:add_proto_expert_info(ef.layout, why)
    return
  end
  if #defaults > 0 then
    sub:add_proto_expert_info(ef.defaults, "defaults used: " .. table.concat(defaults, ", "))
  end
  if not GEN.DIM_TABLES[table_id] then learned = nil end
  local st = { tvb = tvb, start = offset, stop = offset + tvb:len(), scopes = {}, learned = learned }
  local values = {}
  local ok, err = pcall(record_body, st, var.root, 0, nil, values, sub, table_id)
  if not ok then
    local why2 = (err == Unknown) and "a size or count depends on bytes outside this read"
      or tostring(err)
    sub:add(hf.data, tvb())
    sub:add_proto_expert_info(ef.layout, "rest shown as bytes: " .. why2)
  end
end

-- ------------------------------------------------------------------ MEP frames
local SEQ, DIG = 4, 8

local function parse_request(body)
  -- body: bytes after the length; returns a small table of what it is
  local code = body:byte(1)
  local r = { code = code }
  if GEN.TLS_CODES[code] and GEN.REQUEST_CODES[code] == nil then r.mode = "tls" return r end
  if not GEN.REQUEST_CODES[code] or #body < 1 + SEQ + DIG then r.mode = "opaque" return r end
  r.mode = "rc4"
  local cmd_len = #body - SEQ - DIG
  r.table = body:byte(2) * 256 + body:byte(3)
  if code == 0x30 then
    r.offset = 0
    if cmd_len == 5 then r.max = body:byte(4) * 256 + body:byte(5) end
    r.head = 3
  elseif code == 0x3F then
    r.offset = body:byte(4) * 65536 + body:byte(5) * 256 + body:byte(6)
    r.count = body:byte(7) * 256 + body:byte(8)
    r.head = 8
  elseif code == 0x40 then
    r.offset = 0
    r.count = body:byte(4) * 256 + body:byte(5)
    r.head = 5
  else
    r.offset = body:byte(4) * 65536 + body:byte(5) * 256 + body:byte(6)
    r.count = body:byte(7) * 256 + body:byte(8)
    r.head = 8
  end
  r.is_read = (code == 0x30 or code == 0x3F)
  r.cmd_len = cmd_len
  return r
end

local function show_request(ftvb, tree, pinfo, info, r, dims, learned)
  local n = ftvb:len()
  tree:add(hf.length, ftvb(0, 2))
  if r.mode == "tls" then
    tree:add(hf.tls_code, ftvb(2, 1))
    if n > 3 then tree:add(hf.records, ftvb(3)) end
    pinfo.cols.info:append(GEN.TLS_CODES[r.code] or "TLS")
    return
  end
  if r.mode == "opaque" then
    tree:add(hf.opaque, ftvb(2))
    pinfo.cols.info:append("Request (opaque)")
    return
  end
  tree:add(hf.req_code, ftvb(2, 1))
  tree:add(hf.table, ftvb(3, 2))
  local tid = GEN.TABLE_IDS[r.table] or tostring(r.table)
  tree:add(hf.table_id, ftvb(3, 2), tid)
  if r.code == 0x3F or r.code == 0x4F then
    tree:add(hf.offset, ftvb(5, 3))
    tree:add(hf.count, ftvb(8, 2))
  elseif r.code == 0x40 then
    tree:add(hf.count, ftvb(5, 2))
  elseif r.max then
    tree:add(hf.max_len, ftvb(5, 2))
  end
  local data_len = r.cmd_len - r.head
  if r.code == 0x40 or r.code == 0x4F then
    if data_len > 0 then
      local dt = ftvb(2 + r.head, data_len)
      tree:add(hf.data, dt)
      if info.decode then decode_payload(dt:tvb(), tree, pinfo, r.table, r.offset, dims, learned) end
    end
  elseif data_len ~= 0 and not (r.code == 0x30 and (data_len == 0 or r.max)) then
    tree:add_proto_expert_info(ef.malformed, "unexpected length for " .. GEN.REQUEST_CODES[r.code])
  end
  tree:add(hf.seq, ftvb(n - DIG - SEQ, SEQ))
  tree:add(hf.digest, ftvb(n - DIG, DIG))
  pinfo.cols.info:append(string.format("%s %s", GEN.REQUEST_CODES[r.code], tid)
    .. ((r.offset or 0) > 0 and (" @" .. r.offset) or "") .. (r.count and (" n=" .. r.count) or ""))
end

local function show_response(ftvb, tree, pinfo, info, r, dims, learned)
  local n = ftvb:len()
  tree:add(hf.length, ftvb(0, 2))
  local code = ftvb(2, 1):uint()
  if (r and r.mode == "tls") or (not r and GEN.TLS_RESPONSE_CODES[code] and n < 2 + 1 + DIG) then
    tree:add(hf.tls_code, ftvb(2, 1))
    if n > 3 then tree:add(hf.records, ftvb(3)) end
    pinfo.cols.info:append("TLS-mode response")
    return
  end
  if (r and r.mode == "opaque") or not GEN.RESPONSE_CODES[code] or n < 2 + 1 + DIG then
    tree:add(hf.opaque, ftvb(2))
    pinfo.cols.info:append("Response (opaque)")
    if n < 2 + 1 + DIG then tree:add_proto_expert_info(ef.malformed, "too short for a response") end
    return
  end
  local citem = tree:add(hf.resp_code, ftvb(2, 1))
  pinfo.cols.info:append("Response " .. GEN.RESPONSE_CODES[code])
  local rest = n - 3 - DIG
  if code == 0x0C then
    citem:add_proto_expert_info(ef.seq)
    if rest >= 4 then tree:add(hf.next_seq, ftvb(3, 4)) end
  elseif code == 0x0B then
    citem:add_proto_expert_info(ef.auth)
  elseif code ~= 0 then
    citem:add_proto_expert_info(ef.error_code, GEN.RESPONSE_CODES[code])
  elseif rest >= 2 and (r == nil or r.is_read) then
    tree:add(hf.count, ftvb(3, 2))
    local count = ftvb(3, 2):uint()
    if count ~= rest - 2 then
      tree:add_proto_expert_info(ef.malformed, string.format("count says %d data bytes, frame has %d", count, rest - 2))
    elseif count > 0 then
      local dt = ftvb(5, count)
      tree:add(hf.data, dt)
      if r and info.decode then decode_payload(dt:tvb(), tree, pinfo, r.table, r.offset, dims, learned) end
    end
  end
  tree:add(hf.digest, ftvb(n - DIG, DIG))
end

-- First pass: cut frames from each direction's stream; remember what each packet carries.
local function truncated(out, dir, why)
  -- a pending frame that the line's state says will not be completed: malformed, dropped
  local raw = state.buf[dir]
  out.frames[#out.frames + 1] = { kind = "garbage", raw = raw, from = state.buf_from[dir],
    why = string.format("truncated frame: length says %d, %d bytes came (%s)",
      #raw >= 2 and raw:byte(1) * 256 + raw:byte(2) or 0, #raw - 2, why) }
  state.buf[dir] = ""
  state.buf_from[dir] = nil
end

local function first_pass(pinfo, bytes, dir)
  local out = { frames = {}, tail = nil }
  local now = pinfo.abs_ts
  local other = 1 - dir
  if #state.buf[other] > 0 then truncated(out, other, "the other side started to talk") end
  if #state.buf[dir] > 0 and state.buf_end[dir] and now - state.buf_end[dir] > GEN.MAX_GAP then
    truncated(out, dir, string.format("%.3f s pause", now - state.buf_end[dir]))
  end
  state.buf_end[dir] = now + #bytes * GEN.BYTE_TIME
  local buf = state.buf[dir] .. bytes
  local from = state.buf_from[dir]
  local pos = 1
  while true do
    local left = #buf - pos + 1
    if left < 2 then break end
    local len = buf:byte(pos) * 256 + buf:byte(pos + 1)
    if len == 0 and dir == 1 then
      out.frames[#out.frames + 1] = { kind = "alert", raw = buf:sub(pos, pos + 1), from = from }
      pos = pos + 2
      from = nil
    elseif len == 0 or len > GEN.MAX_MESSAGE then
      out.frames[#out.frames + 1] = { kind = "garbage", raw = buf:sub(pos, pos), from = from }
      pos = pos + 1
      from = nil
    elseif left >= 2 + len then
      out.frames[#out.frames + 1] = { kind = "frame", raw = buf:sub(pos, pos + 1 + len), from = from }
      pos = pos + 2 + len
      from = nil
    else
      break
    end
  end
  state.buf[dir] = buf:sub(pos)
  if #state.buf[dir] > 0 then
    state.buf_from[dir] = state.buf_from[dir] or pinfo.number
    if #state.buf[dir] == #buf then state.buf_from[dir] = from or pinfo.number end
    out.tail = true
  else
    state.buf_from[dir] = nil
  end
  -- pairing and dimension values, in capture order
  for _, fr in ipairs(out.frames) do
    if fr.kind == "frame" then
      fr.dims = snapshot(state.dims)
      if dir == 0 then
        fr.req = parse_request(fr.raw:sub(3))
        state.outstanding = { frame = pinfo.number, req = fr.req }
        if fr.req.mode == "rc4" and (fr.req.code == 0x40 or fr.req.code == 0x4F) then
          fr.learn_into = state.dims
        end
      else
        local o = state.outstanding
        if o then
          fr.req = o.req
          fr.request_in = o.frame
          o.req.response_in = pinfo.number
          state.outstanding = nil
        end
        fr.learn_into = state.dims
      end
    end
  end
  return out
end

local function bytes_of(tvb, offset)
  return tvb:raw(offset, tvb:len() - offset)
end

-- OPTICAL --

-- Which protocol a packet's bytes continue or start: an unfinished frame or packet of that
-- direction goes on; otherwise an optical start byte (wake-up, STP, ACK, NAK) starts C12.18.
local function is_optical(bytes, dir)
  if #state.buf[dir] > 0 then return false end
  if #state.obuf[dir] > 0 or state.omsg[dir] then return true end
  local b = bytes:byte(1)
  return b == 0xEE or b == 0x55 or b == 0x06 or b == 0x15
end

local function dissect_line(tvb, pinfo, tree, dir)
  pinfo.cols.protocol = "OSGP"
  pinfo.cols.info = ""
  local rec = per_frame[pinfo.number]
  local first = rec == nil
  if first then
    local bytes = bytes_of(tvb, 0)
    if is_optical(bytes, dir) then
      rec = optical_first_pass(pinfo, bytes, dir)
    else
      rec = first_pass(pinfo, bytes, dir)
    end
    per_frame[pinfo.number] = rec
  end
  if rec.optical then return dissect_optical(tvb, pinfo, tree, dir, rec, first) end
  local root = tree:add(osgp, tvb())
  root:add(hf.direction, tvb(0, 0), dir == 0 and "C->S" or "S->C")
  if #rec.frames == 0 then
    root:add(hf.fragment, tvb())
    pinfo.cols.info:append("MEP frame fragment")
    return
  end
  for i, fr in ipairs(rec.frames) do
    if i > 1 then pinfo.cols.info:append(" | ") end
    local ftvb = ByteArray.new(fr.raw, true):tvb("MEP frame")
    if fr.kind == "alert" then
      root:add(hf.alert, ftvb())
      pinfo.cols.info:append("Alert")
    elseif fr.kind == "garbage" then
      local item = root:add(hf.opaque, ftvb())
      if fr.from then item:append_text(string.format(" (begins in frame %d)", fr.from)) end
      item:add_proto_expert_info(ef.malformed, fr.why or "not a frame: resynchronising")
      pinfo.cols.info:append("Malformed")
    else
      local ftree = root:add(hf.frame, ftvb())
      if fr.from then ftree:append_text(string.format(" (begins in frame %d)", fr.from)) end
      -- the first dissection learns this frame's dimension values for the frames after it
      local learned = (first and fr.learn_into) and {} or nil
      if dir == 0 then
        if fr.req and fr.req.response_in then ftree:add(hf.response_in, fr.req.response_in) end
        show_request(ftvb, ftree, pinfo, { decode = true }, fr.req, fr.dims, learned)
      else
        if fr.request_in then
          ftree:add(hf.request_in, fr.request_in)
        else
          ftree:add_proto_expert_info(ef.unpaired)
        end
        show_response(ftvb, ftree, pinfo, { decode = true }, fr.req, fr.dims, learned)
      end
      if learned then
        for k, v in pairs(learned) do fr.learn_into[k] = v end
      end
    end
  end
end

-- ------------------------------------------------------------------ link types
local rtacser = Dissector.get("rtacser")
local osgp_rtac = Proto("osgp.rtac", "OSGP over RTAC serial")

local LINE_ERRORS = { [0x07] = "framing error", [0x08] = "parity error", [0x09] = "break",
  [0x0A] = "overrun" }
local line_error = ProtoExpert.new("osgp.line_error", "Bytes received with a line error",
  expert.group.MALFORMED, expert.severity.WARN)
osgp.experts = { ef.malformed, ef.auth, ef.seq, ef.error_code, ef.defaults, ef.layout,
  ef.unpaired, line_error }

function osgp_rtac.dissector(tvb, pinfo, tree)
  if tvb:len() < 12 then return 0 end
  rtacser:call(tvb(0, 12):tvb(), pinfo, tree)
  local event = tvb(8, 1):uint()
  local dir
  if event == 0x01 or event == 0x03 then dir = 0 elseif event == 0x02 or event == 0x04 then dir = 1 end
  if dir ~= nil then state.last_dir = dir end
  if dir == nil and LINE_ERRORS[event] then
    -- error bytes belong to the direction of the data before them
    if event_dir[pinfo.number] == nil then event_dir[pinfo.number] = state.last_dir or 0 end
    dir = event_dir[pinfo.number]
  end
  if dir == nil or tvb:len() == 12 then return tvb:len() end
  dissect_line(tvb(12):tvb(), pinfo, tree, dir)
  if LINE_ERRORS[event] then
    tree:add_proto_expert_info(line_error, LINE_ERRORS[event])
  end
  return tvb:len()
end

function osgp.dissector(tvb, pinfo, tree)
  -- USER0: byte 0 is the direction (0 = C->S, 1 = S->C)
  if tvb:len() < 1 then return 0 end
  local d = tvb(0, 1):uint()
  if d > 1 then return 0 end
  if tvb:len() > 1 then dissect_line(tvb(1):tvb(), pinfo, tree, d) end
  return tvb:len()
end

local wtap_table = DissectorTable.get("wtap_encap")
wtap_table:add(wtap_encaps.RTAC_SERIAL, osgp_rtac)
wtap_table:add(wtap_encaps.USER0, osgp)
DissectorTable.get("rtacser.data"):add_for_decode_as(osgp)
