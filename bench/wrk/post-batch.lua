-- wrk script: batch POSTs of 1,000 messages ({"messages": [...]}, ~280-byte SMS bodies) into sessions b0..b3.
local content = string.rep("x", 200) .. " Your verification code is 481516. It expires in 10 minutes. Reply STOP to opt out."
local parts = {}
for i = 1, 1000 do
  parts[i] = '{"sender_type": "system", "channel": "sms", "template": "otp", "recipient": "+1' ..
      tostring(1000000000 + (i * 2654435761) % 9000000000) .. '", "content": "' .. content .. '"}'
end
local body = '{"messages": [' .. table.concat(parts, ",") .. ']}'
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/v1/sessions/b" .. (n % 4) .. "/messages", {["Content-Type"] = "application/json"}, body)
end
