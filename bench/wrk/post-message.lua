-- wrk script: single-message POSTs spread over 16 bulk-send sessions (s0..s15), ~280-byte SMS bodies.
local content = string.rep("x", 200) .. " Your verification code is 481516. It expires in 10 minutes. Reply STOP to opt out."
local n = 0
request = function()
  n = n + 1
  local body = '{"sender_type": "system", "channel": "sms", "template": "otp", "recipient": "+1' ..
      tostring(1000000000 + (n * 2654435761) % 9000000000) .. '", "content": "' .. content .. '"}'
  return wrk.format("POST", "/api/v1/sessions/s" .. (n % 16) .. "/messages", {["Content-Type"] = "application/json"}, body)
end
