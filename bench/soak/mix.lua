-- wrk script for `make soak` (bench/soak.py): a fixed mix of new, returning and malformed visitors.
--
--   wrk ... -s bench/soak/mix.lua URL -- IDS_FILE
--
-- IDS_FILE has one returning visitor per line: "<path>\t<cookie value>\t<expected ID>", IDs the
-- server minted for soak.py before the run. Every request carries X-Soak-Kind (new, returning,
-- malformed, cookieless) and, for a returning visitor, X-Soak-Expect (the ID the access log must
-- show), for a cookieless one the visitor's number (its User-Agent), so soak.py can check each
-- logged line. Requests are built once per thread in init() and sent in a repeating order: of
-- every 12, 4 new, 4 returning, 2 malformed, 2 cookieless (/cookieless, no Cookie, one of
-- COOKIELESS_VISITORS User-Agents). Each thread starts at its own offset. All requests are byte strings written here (no wrk.format), so hostile bytes go out
-- exactly as written. Header values never contain NUL, CR or LF (they would end the header).

local paths = { "/f.txt", "/signed/f.txt", "/legacy/f.txt" }
local COOKIELESS_VISITORS = 8
local thread_no = 0
local reqs = {}
local i = 0

function setup(thread)
   thread:set("thread_no", thread_no)
   thread_no = thread_no + 1
end

local function build(path, kind, cookie, expect, user_agent)
   local s = "GET " .. path .. " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " ..
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

function init(args)
   local offset = (tonumber(thread_no) or 0) * 7
   local new, ret, mal, cl = {}, {}, {}, {}
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
   local pattern = { new, ret, cl, new, ret, mal, new, ret, cl, new, ret, mal }
   local next_of = {}
   -- one full round of every list: as many slots as the longest list needs
   local rounds = math.max(#new, #ret, #mal, #cl) * 6
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
end
