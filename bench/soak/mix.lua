-- wrk script for `make soak` (bench/soak.py): a fixed mix of new, returning, malformed, cookieless and ClickPath visitors.
--
--   wrk ... -s bench/soak/mix.lua URL -- IDS_FILE SESSIONS_FILE
--
-- IDS_FILE has one returning visitor per line: "<path>\t<cookie value>\t<expected ID>", IDs the
-- server minted for soak.py before the run; SESSIONS_FILE one ClickPath session a line, minted
-- the same way. Every request carries X-Soak-Kind (new, returning, malformed, cookieless,
-- cp-new, cp-existing, cp-crawler) and, for a returning visitor or a continuing session,
-- X-Soak-Expect (the ID the access log must show), for a cookieless one the visitor's number (its
-- User-Agent), so soak.py can check each logged line. Requests are built once per thread in
-- init() and sent in a repeating order: of every 16, 4 new, 4 returning, 2 malformed, 2
-- cookieless (/cookieless, no Cookie, one of COOKIELESS_VISITORS User-Agents), and 4 to the
-- ClickPath host clickpath.soak: 2 new sessions, 1 continuing one (/-S:<ID>/cp/page.html), 1
-- crawler. response() checks every ClickPath page (see check_clickpath) and done() prints the
-- counts. Each thread starts at its own offset. All requests are byte strings written here (no wrk.format), so hostile bytes go out
-- exactly as written. Header values never contain NUL, CR or LF (they would end the header).

local paths = { "/f.txt", "/signed/f.txt", "/legacy/f.txt" }
local COOKIELESS_VISITORS = 8
local thread_no = 0
local threads = {}
local reqs = {}
local i = 0

function setup(thread)
   thread:set("thread_no", thread_no)
   thread_no = thread_no + 1
   threads[#threads + 1] = thread
end

local function build(path, kind, cookie, expect, user_agent, host)
   local s = "GET " .. path .. " HTTP/1.1\r\nHost: " .. (host or "127.0.0.1") .. "\r\nUser-Agent: " ..
             (user_agent or "usertrack-soak/1") .. "\r\nX-Soak-Kind: " .. kind .. "\r\n"
   if expect then s = s .. "X-Soak-Expect: " .. expect .. "\r\n" end
   if cookie then s = s .. "Cookie: " .. cookie .. "\r\n" end
   return s .. "\r\n"
end

local function bytes(from, to)
   local t = {}
   for b = from, to do t[#t + 1] = string.char(b) end
   return table.concat(t)
end

-- Hostile Cookie header values. All stay under LimitRequestFieldSize (8190 bytes for the whole
-- line): the soak wants every request answered 200; the over-limit ones are in memcheck's set.
local function hostile()
   local many = {}
   for n = 1, 800 do many[#many + 1] = "c" .. n .. "=" .. (n % 10) end
   -- every control byte httpd lets through with HttpProtocolOptions Unsafe (it answers 400 to
   -- VT and FF even then: memcheck sends those)
   local ctl = bytes(1, 9) .. bytes(14, 31) .. "\127"
   return {
      "Apache=" .. string.rep("A", 7900),                                   -- huge value
      "x=1; Apache=" .. string.rep("7f3a91c2.", 850),                     -- huge, ID-like
      table.concat(many, "; "),                                             -- 800 cookies, ours absent
      table.concat(many, "; ", 1, 600) .. "; Apache=deep.1",                -- ours after 600 others
      string.rep("Apache=dup; ", 300),                                      -- the name repeated
      "Apache=" .. ctl .. "; other=" .. ctl,                                -- control bytes
      "Apache=" .. bytes(128, 255) .. "; x=" .. bytes(128, 255),            -- 0x80-0xff
      ";;;; ; ;=;==; ,,, ;\t;",                                             -- only separators
      "Apache=\"\\\"\\\\\"; q=\"a\\\\b\\\"c\"; \\Apache=\\\\",              -- quotes, backslashes
      "Apache",                                                             -- no '='
      "Apache=",                                                            -- empty value
      "apache=lowercase; APACHE=upper; Apache =spaced",                     -- near misses
      "Apache=7f3a91c2.6601c0ffee123~AAAAAAAAAAAAAAAAAAAAAA",               -- forged tag
      "Apache=019ad5e1-2b3c-7d4e-8f5a-6b7c8d9e0f1a~",                       -- empty tag
      "Apache" .. string.rep("e", 5000) .. "=long-name",                    -- long near-miss name
      "Apache=127.0.0.1.99999999999999999999999999",                        -- legacy-like, huge time
      "=; =Apache; Apache==; Apache=;Apache=a=b=c",                          -- '=' everywhere
   }
end

-- ClickPath: every page of clickpath.soak has CP_LINKS root-relative links (soak.py writes it);
-- with a session each must carry it: one ID, of the right shape (a 6-character machine, ':', 20
-- characters of the rotated alphabet, the rotated ',' = 'M'). The crawler's copy has none.
local CP_LINKS = 6
local ID_CHAR = "[%w@,%-]"
local ID_SHAPE = "^" .. string.rep(ID_CHAR, 6) .. ":" .. string.rep(ID_CHAR, 20) .. "M$"
cp_pages, cp_bad, cp_crawler_pages, cp_bad_example = 0, 0, 0, ""

local function check_clickpath(body)
   if body:find("SOAK-CP-CRAWLER", 1, true) then
      cp_crawler_pages = cp_crawler_pages + 1
      if body:find("/-S:", 1, true) then
         cp_bad = cp_bad + 1
         cp_bad_example = "crawler page with a session"
      end
      return
   end
   cp_pages = cp_pages + 1
   local n, first, ok = 0, nil, true
   for id in body:gmatch('href="/%-S:([^/"]+)/') do
      n = n + 1
      first = first or id
      ok = ok and id == first and id:match(ID_SHAPE) ~= nil
   end
   if not ok or n ~= CP_LINKS then
      cp_bad = cp_bad + 1
      cp_bad_example = string.format("%d links with a session, first %s", n, tostring(first))
   end
end

function response(status, headers, body)
   if body and body:find("SOAK-CP-", 1, true) then check_clickpath(body) end
end

function init(args)
   local offset = (tonumber(thread_no) or 0) * 7
   local new, ret, mal, cl, cpn, cpe, cpc = {}, {}, {}, {}, {}, {}, {}
   cpn[1] = build("/cp/page.html", "cp-new", nil, nil, nil, "clickpath.soak")
   cpc[1] = build("/cp/crawler.html", "cp-crawler", nil, nil, "Mozilla/5.0 (compatible; usertrack-soak-crawler/1)",
                  "clickpath.soak")
   local sessions = assert(io.open(args[2], "r"))
   for id in sessions:lines() do
      cpe[#cpe + 1] = build("/-S:" .. id .. "/cp/page.html", "cp-existing", nil, id, nil, "clickpath.soak")
   end
   sessions:close()
   assert(#cpe > 0, "no ClickPath sessions in " .. args[2])
   for v = 1, COOKIELESS_VISITORS do
      cl[#cl + 1] = build("/cookieless/f.txt", "cookieless", nil, tostring(v),
                          "Mozilla/5.0 (X11; Linux x86_64) usertrack-soak-cookieless/" .. v)
   end
   for _, p in ipairs(paths) do new[#new + 1] = build(p, "new", nil, nil) end
   local f = assert(io.open(args[1], "r"))
   for line in f:lines() do
      local path, value, expect = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)$")
      if path then
         local cookie = "_ga=GA1.2.1183742391.1732233719; lang=en-US; Apache=" .. value ..
                        "; sessionid=k2j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8"
         ret[#ret + 1] = build(path, "returning", cookie, expect)
      end
   end
   f:close()
   assert(#ret > 0, "no returning visitors in " .. args[1])
   for _, c in ipairs(hostile()) do
      for _, p in ipairs(paths) do mal[#mal + 1] = build(p, "malformed", c, nil) end
   end
   local pattern = { new, ret, cl, cpn, new, ret, mal, cpe, new, ret, cl, cpn, new, ret, mal, cpc }
   local next_of = {}
   -- one full round of every list: as many slots as the longest list needs
   local rounds = math.max(#new, #ret, #mal, #cl, #cpe) * 8
   for r = 0, rounds - 1 do
      local list = pattern[(r % #pattern) + 1]
      local k = (next_of[list] or offset) % #list
      reqs[#reqs + 1] = list[k + 1]
      next_of[list] = k + 1
   end
   i = offset
end

function request()
   i = i + 1
   return reqs[(i % #reqs) + 1]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("SOAK-WRK requests=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
                          summary.requests, e.connect, e.read, e.write, e.status, e.timeout))
   local pages, bad, crawler, example = 0, 0, 0, ""
   for _, t in ipairs(threads) do
      pages = pages + (t:get("cp_pages") or 0)
      bad = bad + (t:get("cp_bad") or 0)
      crawler = crawler + (t:get("cp_crawler_pages") or 0)
      if (t:get("cp_bad") or 0) > 0 then example = t:get("cp_bad_example") end
   end
   io.write(string.format("SOAK-CP pages=%d crawler=%d bad=%d example=%s\n", pages, crawler, bad, example))
end
