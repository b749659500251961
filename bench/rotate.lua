-- wrk script for bench/run.py: every request takes the next "path<TAB>cookie" line of the
-- targets file (first argument after --), so one run signs in as many contacts of different
-- accounts; threads start at different lines. Responses other than 200 are counted and
-- printed as "BAD_STATUS n" (wrk itself counts 3xx as success). With WRK_PORTS="8101,8102"
-- thread i talks to the i-th port (round robin across gunicorn instances).

local threads = {}
local addrs = nil

function setup(thread)
   local ports = os.getenv("WRK_PORTS")
   if ports and addrs == nil then
      addrs = {}
      for port in string.gmatch(ports, "%d+") do
         table.insert(addrs, wrk.lookup("127.0.0.1", port)[1])
      end
   end
   if addrs then
      thread.addr = addrs[(#threads % #addrs) + 1]
   end
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   targets = {}
   for line in io.lines(args[1]) do
      local path, cookie = string.match(line, "^([^\t]*)\t?(.*)$")
      if path and path ~= "" then
         table.insert(targets, {path, cookie})
      end
   end
   index = id * 7
   bad = 0
end

function request()
   index = index % #targets + 1
   local target = targets[index]
   local headers = {["Accept"] = "text/html"}
   if target[2] ~= "" then
      headers["Cookie"] = target[2]
   end
   return wrk.format("GET", target[1], headers)
end

function response(status, headers, body)
   if status ~= 200 then
      bad = bad + 1
   end
end

function done(summary, latency, requests)
   local total = 0
   for _, thread in ipairs(threads) do
      total = total + thread:get("bad")
   end
   io.write(string.format("BAD_STATUS %d\n", total))
end
