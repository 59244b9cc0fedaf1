-- ------------------------------------------------------------------ optical C12.18
local c1218 = Proto("c1218", "ANSI C12.18 optical")
c1218.prefs.show_passwords = Pref.bool("show_passwords", false,
  "Show logon passwords (security service) in clear")
local of = {
  link = ProtoField.uint8("c1218.link", "Link byte", base.HEX, GEN.OPT_LINK),
  stp = ProtoField.uint8("c1218.stp", "Start of packet", base.HEX),
  identity = ProtoField.uint8("c1218.identity", "Identity", base.HEX),
  ctrl = ProtoField.uint8("c1218.ctrl", "Control", base.HEX),
  ctrl_multi = ProtoField.bool("c1218.ctrl.multi", "Multi-packet", 8, nil, 0x80),
  ctrl_first = ProtoField.bool("c1218.ctrl.first", "First packet", 8, nil, 0x40),
  ctrl_toggle = ProtoField.bool("c1218.ctrl.toggle", "Toggle", 8, nil, 0x20),
  seq = ProtoField.uint8("c1218.seq", "Sequence (packets to follow)", base.DEC),
  length = ProtoField.uint16("c1218.length", "Length", base.DEC),
  data = ProtoField.bytes("c1218.data", "Data"),
  crc = ProtoField.uint16("c1218.crc", "CRC", base.HEX),
  crc_status = ProtoField.string("c1218.crc.status", "CRC status"),
  service = ProtoField.uint8("c1218.service", "Service", base.HEX, GEN.OPT_SERVICES),
  resp_code = ProtoField.uint8("c1218.response_code", "Response code", base.HEX, GEN.OPT_RESPONSES),
  table = ProtoField.uint16("c1218.table", "Table", base.DEC, GEN.TABLE_NAMES),
  offset = ProtoField.uint24("c1218.offset", "Offset", base.DEC),
  count = ProtoField.uint16("c1218.count", "Count", base.DEC),
  checksum = ProtoField.uint8("c1218.checksum", "Checksum", base.HEX),
  user_id = ProtoField.uint16("c1218.user_id", "User id", base.DEC),
  user = ProtoField.string("c1218.user", "User"),
  password = ProtoField.string("c1218.password", "Password"),
  packet_size = ProtoField.uint16("c1218.packet_size", "Packet size", base.DEC),
  nbr_packets = ProtoField.uint8("c1218.nbr_packets", "Number of packets", base.DEC),
  baud = ProtoField.uint8("c1218.baud", "Baud rate", base.DEC, GEN.OPT_BAUDS),
  response_in = ProtoField.framenum("c1218.response_in", "Response in", base.NONE, frametype.RESPONSE),
  request_in = ProtoField.framenum("c1218.request_in", "Request in", base.NONE, frametype.REQUEST),
  fragment = ProtoField.bytes("c1218.fragment", "Packet fragment"),
}
for k, v in pairs(of) do c1218.fields[k] = v end
local oe = {
  crc = ProtoExpert.new("c1218.crc_bad", "Bad CRC", expert.group.CHECKSUM, expert.severity.ERROR),
  checksum = ProtoExpert.new("c1218.checksum_bad", "Bad table data checksum", expert.group.CHECKSUM, expert.severity.WARN),
  error_code = ProtoExpert.new("c1218.error_response", "Error response", expert.group.RESPONSE_CODE, expert.severity.NOTE),
  malformed = ProtoExpert.new("c1218.malformed", "Malformed C12.18 message", expert.group.MALFORMED, expert.severity.ERROR),
}
c1218.experts = { oe.crc, oe.checksum, oe.error_code, oe.malformed }

local CRC_TABLE = {}
for byte = 0, 255 do
  local crc = byte
  for _ = 1, 8 do
    if bit32.band(crc, 1) == 1 then crc = bit32.bxor(bit32.rshift(crc, 1), 0x8408)
    else crc = bit32.rshift(crc, 1) end
  end
  CRC_TABLE[byte] = crc
end

local function crc16(s)
  local crc = 0xFFFF
  for i = 1, #s do
    crc = bit32.bxor(bit32.rshift(crc, 8), CRC_TABLE[bit32.band(bit32.bxor(crc, s:byte(i)), 0xFF)])
  end
  return bit32.bxor(crc, 0xFFFF)
end

local OPT_LINK_BYTES = { [0x55] = true, [0x06] = true, [0x15] = true }

-- Cut link bytes and packets from one direction's optical stream (first pass).
local function optical_first_pass(pinfo, bytes, dir)
  local out = { frames = {}, optical = true }
  local buf = state.obuf[dir] .. bytes
  local pos = 1
  while pos <= #buf do
    local b = buf:byte(pos)
    if b == 0xEE then
      if #buf - pos + 1 < 6 then break end
      local len = buf:byte(pos + 4) * 256 + buf:byte(pos + 5)
      if #buf - pos + 1 < 8 + len then break end
      local raw = buf:sub(pos, pos + 7 + len)
      local fr = { kind = "packet", raw = raw }
      out.frames[#out.frames + 1] = fr
      pos = pos + 8 + len
      -- join multi-packet messages; a message is complete at sequence 0
      local ctrl, seq = raw:byte(3), raw:byte(4)
      local data = raw:sub(7, 6 + len)
      local m = state.omsg[dir]
      if bit32.band(ctrl, 0x80) == 0 or bit32.band(ctrl, 0x40) ~= 0 or not m then m = "" end
      m = m .. data
      if seq == 0 then
        fr.message = m
        state.omsg[dir] = nil
        if dir == 0 then
          fr.req = { code = m:byte(1) or 0 }
          if fr.req.code == 0x30 or fr.req.code == 0x3F then
            fr.req.table = (m:byte(2) or 0) * 256 + (m:byte(3) or 0)
            fr.req.offset = 0
            if fr.req.code == 0x3F and #m >= 6 then
              fr.req.offset = m:byte(4) * 65536 + m:byte(5) * 256 + m:byte(6)
            end
          end
          state.ooutstanding = { frame = pinfo.number, req = fr.req }
        else
          local o = state.ooutstanding
          if o then
            fr.req = o.req
            fr.request_in = o.frame
            o.req.response_in = pinfo.number
            state.ooutstanding = nil
          end
        end
        fr.dims = snapshot(state.dims)
        fr.learn_into = state.dims
      else
        state.omsg[dir] = m
      end
    elseif OPT_LINK_BYTES[b] or (b == 0x00 and pos == 1 and #buf == 1) then
      out.frames[#out.frames + 1] = { kind = "link", raw = string.char(b) }
      pos = pos + 1
    else
      out.frames[#out.frames + 1] = { kind = "garbage", raw = buf:sub(pos, pos) }
      pos = pos + 1
    end
  end
  state.obuf[dir] = buf:sub(pos)
  return out
end

local function show_service(mtvb, tree, pinfo, fr, dir, learned)
  local n = mtvb:len()
  if n == 0 then return end
  local code = mtvb(0, 1):uint()
  if dir == 0 then
    tree:add(of.service, mtvb(0, 1))
    if fr.req and fr.req.response_in then tree:add(of.response_in, fr.req.response_in) end
    local name = GEN.OPT_SERVICES[code] or string.format("0x%02X", code)
    pinfo.cols.info:append("C12.18 " .. name)
    if (code >= 0x30 and code <= 0x4F) and n >= 3 then
      tree:add(of.table, mtvb(1, 2))
      local table_number = mtvb(1, 2):uint()
      pinfo.cols.info:append(" " .. (GEN.TABLE_IDS[table_number] or tostring(table_number)))
      local head = 3
      if (code == 0x3F or code == 0x4F) and n >= 8 then
        tree:add(of.offset, mtvb(3, 3))
        tree:add(of.count, mtvb(6, 2))
        head = 8
      elseif code == 0x40 and n >= 5 then
        tree:add(of.count, mtvb(3, 2))
        head = 5
      end
      if (code == 0x40 or code == 0x4F) and n > head then
        local count = mtvb(head - 2, 2):uint()
        if n == head + count + 1 then
          local dt = mtvb(head, count)
          tree:add(of.data, dt)
          local offset = head == 8 and mtvb(3, 3):uint() or 0
          decode_payload(dt:tvb(), tree, pinfo, table_number, offset, fr.dims, learned)
          tree:add(of.checksum, mtvb(n - 1, 1))
        else
          tree:add(of.data, mtvb(head))
          tree:add_proto_expert_info(oe.malformed, "write length disagrees with its count")
        end
      end
    elseif code == 0x50 and n == 13 then
      tree:add(of.user_id, mtvb(1, 2))
      tree:add(of.user, mtvb(3, 10), (mtvb(3, 10):raw():gsub("[%z ]+$", "")))
    elseif code == 0x51 and n == 21 then
      if c1218.prefs.show_passwords then
        tree:add(of.password, mtvb(1, 20), hexs(mtvb(1, 20):raw()))
      else
        tree:add(of.password, mtvb(1, 20), string.rep("*", 20))
      end
    elseif code >= 0x60 and code <= 0x6B and n >= 4 then
      tree:add(of.packet_size, mtvb(1, 2))
      tree:add(of.nbr_packets, mtvb(3, 1))
      for i = 4, n - 1 do tree:add(of.baud, mtvb(i, 1)) end
    end
    return
  end
  local item = tree:add(of.resp_code, mtvb(0, 1))
  if fr.request_in then tree:add(of.request_in, fr.request_in) end
  pinfo.cols.info:append("C12.18 response " .. (GEN.OPT_RESPONSES[code] or string.format("0x%02X", code)))
  if code ~= 0 then
    item:add_proto_expert_info(oe.error_code, GEN.OPT_RESPONSES[code] or "unknown code")
    return
  end
  local req = fr.req
  if req and (req.code == 0x30 or req.code == 0x3F) and n >= 3 then
    tree:add(of.count, mtvb(1, 2))
    local count = mtvb(1, 2):uint()
    if n == count + 4 then
      local dt = mtvb(3, count)
      tree:add(of.data, dt)
      decode_payload(dt:tvb(), tree, pinfo, req.table, req.offset, fr.dims, learned)
      local ck = mtvb(3 + count, 1)
      local citem = tree:add(of.checksum, ck)
      local sum = 0
      local raw = dt:raw()
      for i = 1, #raw do sum = sum + raw:byte(i) end
      if (sum + ck:uint()) % 256 ~= 0 then citem:add_proto_expert_info(oe.checksum) end
    else
      tree:add(of.data, mtvb(3))
      tree:add_proto_expert_info(oe.malformed, "read response length disagrees with its count")
    end
  elseif n > 1 then
    tree:add(of.data, mtvb(1))
  end
end

local function dissect_optical(tvb, pinfo, tree, dir, rec, first)
  pinfo.cols.protocol = "C12.18"
  local root = tree:add(c1218, tvb())
  if #rec.frames == 0 then
    root:add(of.fragment, tvb())
    pinfo.cols.info:append("C12.18 packet fragment")
    return
  end
  for i, fr in ipairs(rec.frames) do
    if i > 1 then pinfo.cols.info:append(" | ") end
    if fr.kind == "link" then
      root:add(of.link, ByteArray.new(fr.raw, true):tvb("link byte")())
      pinfo.cols.info:append(GEN.OPT_LINK[fr.raw:byte(1)] or "link byte")
    elseif fr.kind == "garbage" then
      local item = root:add(of.fragment, ByteArray.new(fr.raw, true):tvb("stray byte")())
      item:add_proto_expert_info(oe.malformed, "not a C12.18 packet")
    else
      local ptvb = ByteArray.new(fr.raw, true):tvb("C12.18 packet")
      local n = ptvb:len()
      local pt = root:add(c1218, ptvb(), "Packet")
      pt:add(of.stp, ptvb(0, 1))
      pt:add(of.identity, ptvb(1, 1))
      local ct = pt:add(of.ctrl, ptvb(2, 1))
      ct:add(of.ctrl_multi, ptvb(2, 1))
      ct:add(of.ctrl_first, ptvb(2, 1))
      ct:add(of.ctrl_toggle, ptvb(2, 1))
      pt:add(of.seq, ptvb(3, 1))
      pt:add(of.length, ptvb(4, 2))
      if n > 8 then pt:add(of.data, ptvb(6, n - 8)) end
      local crc = ptvb(n - 2, 2):le_uint()
      local citem = pt:add(of.crc, ptvb(n - 2, 2), crc)
      local want = crc16(fr.raw:sub(1, n - 2))
      if want ~= crc then
        citem:append_text(string.format(" [incorrect, should be 0x%04X]", want))
        citem:add_proto_expert_info(oe.crc, string.format("CRC 0x%04X, computed 0x%04X", crc, want))
      end
      if fr.message then
        local mtvb = ByteArray.new(fr.message, true):tvb("C12.18 message")
        local learned = (first and fr.learn_into) and {} or nil
        show_service(mtvb, pt, pinfo, fr, dir, learned)
        if learned then for k, v in pairs(learned) do fr.learn_into[k] = v end end
      else
        pinfo.cols.info:append("C12.18 packet (message continues)")
      end
    end
  end
end
